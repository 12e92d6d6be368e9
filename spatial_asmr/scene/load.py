"""Scene files: the data model, loading and validation.

A scene file is YAML; its structure is defined once, by the JSON Schema
:data:`spatial_asmr.scene.schema.SCENE_SCHEMA`.  :func:`load_scene` reads a
file, checks it against that schema and then against the rules a schema
cannot express (see :func:`parse_scene`), and raises one
:class:`~spatial_asmr.errors.SceneError` listing every problem, each with the
line it was found on::

    brush.yaml:14: sources[1].trajectory[0].distance is -0.3 but must be > 0

A valid file gives a frozen :class:`Scene` of plain Python values with the
defaults filled in and all paths absolute.
"""

__all__ = [
    "BUNDLED_HRTFS",
    "Keyframe",
    "Orientation",
    "OutputSettings",
    "RenderSettings",
    "Scene",
    "SourceSpec",
    "load_scene",
    "parse_scene",
]

import difflib
import math
import os
import pathlib
import sys
from dataclasses import dataclass, field, replace

import jsonschema
import soundfile
from ruamel.yaml import YAML
from ruamel.yaml.comments import TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.scalarbool import ScalarBoolean

from ..checks import check_path
from ..errors import SceneError, SceneProblem
from ..hrtf.sets import NAMES
from .paths import PathSpecError, build_path
from .schema import SCENE_SCHEMA

BUNDLED_HRTFS = NAMES
"""tuple of str : Names of the HRTF sets shipped with spatial-asmr."""


@dataclass(frozen=True)
class Keyframe:
    """Position of a moving source at one point in time.

    Attributes
    ----------
    time : float
        Time in seconds from the start of the scene, >= 0.
    azimuth : float
        Horizontal angle in degrees; not wrapped, so 0 -> 360 is a full turn.
    elevation : float
        Vertical angle in degrees, in [-90, 90].
    distance : float
        Distance from the centre of the head in metres, in (0, 100].
    """

    time: float
    azimuth: float
    elevation: float
    distance: float


@dataclass(frozen=True)
class Orientation:
    """Head orientation of the listener at one point in time.

    Attributes
    ----------
    time : float
        Seconds from the start, >= 0.
    yaw : float
        Degrees, counter-clockwise seen from above (nose to the left).
    pitch : float
        Degrees, nose up, in [-90, 90].
    roll : float
        Degrees, positive raises the left ear, in [-180, 180].
    """

    time: float
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0


@dataclass(frozen=True)
class RenderSettings:
    """How the sources of a scene are rendered.

    Attributes
    ----------
    interpolation : {'barycentric', 'nearest'}
        How HRTFs between measured directions are obtained.
    block_size : int
        Samples per processing block, a power of two from 16 to 8192.
    distance_gain : bool
        Whether sources get quieter with distance.
    near_field : bool
        Distance variation function and acoustic parallax closer than the
        HRTF's measurement distance.
    head_radius : float
        Spherical head radius in metres, 0.05 to 0.15.
    doppler : bool
        Propagation delay (and so Doppler shift) on the delay lines.
    """

    interpolation: str = "barycentric"
    block_size: int = 128
    distance_gain: bool = True
    near_field: bool = True
    head_radius: float = 0.0875
    doppler: bool = False


@dataclass(frozen=True)
class OutputSettings:
    """Format of the rendered file.

    Attributes
    ----------
    bit_depth : {16, 24, 'float'}
        16 or 24 bit integer samples, or ``'float'`` for 32 bit float.
    normalize : tuple or None
        None, ``("peak", dBTP)`` or ``("loudness", LUFS)``.
    """

    bit_depth: object = 24
    normalize: tuple | None = None


@dataclass(frozen=True)
class SourceSpec:
    """One sound source of a scene.

    Exactly one of `position` and `trajectory` is set.

    Attributes
    ----------
    name : str
        Unique name; ``'source<index>'`` (0-based) if the file gave none.
    file : pathlib.Path or None
        Absolute, resolved path of the audio file (None for a generator).
    gain_db : float
        Gain in dB, in [-120, 40].
    position : tuple of float, shape (3,), or None
        ``(azimuth, elevation, distance)`` in degrees, degrees and metres
        for a static source.
    path : spatial_asmr.motion.paths.SourcePath or None
        A path given as a mapping (orbit, sweep, ...) instead of keyframes.
    generator : tuple or None
        ``(name, seed, duration or None, params)`` of a procedural sound,
        instead of ``file``.
    channel : int or None
        Channel of a multichannel file.
    start : float
        Seconds from the scene start at which the sound begins.
    trim : tuple of float or None
        ``(from, to)`` seconds of the file to play.
    loop : bool
        Repeat until the scene ends.
    fade_in, fade_out : float
        Raised-cosine fades in seconds.
    trajectory : tuple of Keyframe or None
        At least two keyframes with strictly increasing times for a moving
        source; the position is linear between them.
    path_spec : dict or None
        The trajectory mapping `path` was built from, as the scene gave it
        (kept so that a resolved scene can be written back out).
    """

    name: str
    file: pathlib.Path | None
    gain_db: float = 0.0
    position: tuple | None = None
    trajectory: tuple | None = None
    path: object = None
    generator: tuple | None = None
    channel: int | None = None
    start: float = 0.0
    trim: tuple | None = None
    loop: bool = False
    fade_in: float = 0.0
    fade_out: float = 0.0
    path_spec: dict | None = field(default=None, compare=False, hash=False)


@dataclass(frozen=True)
class Scene:
    """A validated scene.

    Attributes
    ----------
    sources : tuple of SourceSpec
        The sources, in file order; at least one.
    sample_rate : int
        Output sample rate in Hz, in [8000, 384000].
    duration : float or None
        Output length in seconds; None renders until the last source ends.
    hrtf : str
        A name from :data:`BUNDLED_HRTFS`, or the absolute path of a .sofa
        file.
    render : RenderSettings
        How the sources are rendered.
    output : OutputSettings
        Format of the rendered file.
    listener : tuple of Orientation
        Head orientation keyframes (empty: facing forward throughout).
    path : pathlib.Path or None
        Absolute path of the scene file; None if the scene was parsed from
        text with :func:`parse_scene`.
    """

    sources: tuple
    sample_rate: int = 48000
    duration: float | None = None
    hrtf: str = "kemar"
    render: RenderSettings = RenderSettings()
    output: OutputSettings = OutputSettings()
    path: pathlib.Path | None = None
    listener: tuple = ()


def load_scene(path):
    """Read and validate a scene file.

    Parameters
    ----------
    path : str or os.PathLike
        The YAML scene file.  Relative paths inside it are relative to its
        folder.

    Returns
    -------
    Scene
        The scene with defaults filled in, all paths absolute and
        ``Scene.path`` set to the resolved scene file.

    Raises
    ------
    SceneError
        If the file does not exist, cannot be read, is not UTF-8 YAML, or
        breaks any rule of the scene format.  ``error.problems`` lists every
        problem found, each naming the file as given in `path`, the line and
        the field.
    """
    file = check_path("path", path, SceneError, "the path of a scene file (str or os.PathLike)")
    shown = os.fsdecode(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise SceneError(SceneProblem(
            shown, None, "",
            f"scene file does not exist (looked for {file.resolve()})"),
        ) from None
    except IsADirectoryError:
        raise SceneError(SceneProblem(
            shown, None, "", "scene file is a folder but must be a file"),
        ) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SceneError(SceneProblem(
            shown, None, "", f"scene file cannot be read: {reason}"),
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SceneError(SceneProblem(
            shown, line, "",
            f"scene file is not UTF-8 text: byte 0x{raw[exc.start]:02x} "
            "cannot be decoded"),
        ) from None
    scene = parse_scene(text, shown, file.parent)
    return replace(scene, path=file.resolve())


def parse_scene(data_text, path_for_messages, base_dir):
    """Validate the text of a scene file.

    The text is checked against
    :data:`~spatial_asmr.scene.schema.SCENE_SCHEMA` and then against rules
    a schema cannot state: YAML keys appear once, each source has exactly
    one of ``position`` and ``trajectory``, keyframe times strictly
    increase, source names are unique, ``render.block_size`` is a power of
    two, source files exist and are mono audio files, and ``hrtf`` is a
    bundled name or an existing .sofa file.  Numbers must be finite and
    booleans are not numbers.

    Parameters
    ----------
    data_text : str
        YAML text of the scene.
    path_for_messages : str
        How to name the scene in problems, e.g. the file as the user gave it.
    base_dir : pathlib.Path
        Folder that relative paths in the scene are relative to.

    Returns
    -------
    Scene
        The scene with defaults filled in and all paths absolute;
        ``Scene.path`` is None.

    Raises
    ------
    SceneError
        With every problem found, sorted by line.
    """
    base_dir = pathlib.Path(base_dir).resolve()
    document = _Document(data_text, path_for_messages)
    if document.data is None:
        raise SceneError(sorted(document.problems, key=_line_order))
    data = document.data

    invalid = set()
    required_reported = set()
    for error in _VALIDATOR.iter_errors(data):
        document.problems.extend(
            problem for problem in _translate(
                error, document, invalid, required_reported)
            # A recursive alias was replaced by null and already reported.
            if problem.path not in document.recursive)
    checks = _SemanticChecks(document, invalid, base_dir)
    checks.run()

    if document.problems:
        raise SceneError(sorted(document.problems, key=_line_order))
    return _build_scene(data, checks)


def _line_order(problem):
    # Problems without a line concern the whole file: list them first.
    return problem.line or 0


# -- reading YAML -------------------------------------------------------------

MAX_VALUES = 200_000
"""int : Most values (mapping entries and list items, aliases expanded) a scene may hold."""

MAX_DEPTH = 64
"""int : Deepest nesting of mappings and lists a scene may have."""


class _TooLarge(Exception):
    """The document is past MAX_VALUES or MAX_DEPTH (already reported)."""



class _Document:
    """Plain Python data of a YAML scene and the line of every value.

    Parameters
    ----------
    text : str
        YAML text.
    name : str
        The scene as named in problems.

    Attributes
    ----------
    data : dict or None
        The top-level mapping, of plain dict, list, str, int, float, bool and
        None; None if the text is not YAML or not a mapping.
    problems : list of SceneProblem
        Problems found so far.
    lines : dict
        1-based line by field path (tuple of str and int).  Scalars map to
        their own line; mappings, lists and null values to the line of
        their key or list item, which is where a reader looks for them.
    key_lines : dict
        1-based line of the key of every mapping entry, by field path.
    recursive : set of str
        Formatted field paths of aliases that contain themselves; their
        value is replaced by None.
    """

    def __init__(self, text, name):
        self.name = name
        self.problems = []
        self.lines = {}
        self.key_lines = {}
        self.recursive = set()
        self.data = None
        yaml = YAML(typ="rt")
        yaml.allow_duplicate_keys = True
        try:
            # The composed node tree still holds repeated keys, which the
            # constructor collapses; look for them there so that all are
            # reported, then go on with the first value of each.
            self._report_duplicate_keys(yaml.compose(text))
            loaded = yaml.load(text)
        except YAMLError as exc:
            self.problems.append(self._yaml_problem(exc, text))
            return
        except RecursionError:
            self.add((), None, f"the scene nests deeper than can be read (more than about "
                               f"{sys.getrecursionlimit() // 4} levels) but must nest at "
                               f"most {MAX_DEPTH} levels")
            return
        if loaded is None:
            self.add((), None,
                     "the scene is empty but must be a mapping with at least "
                     "'sources'")
            return
        if not isinstance(loaded, dict):
            shown = loaded if isinstance(loaded, list) else _plain_scalar(
                loaded)
            self.add((), loaded.lc.line + 1 if hasattr(loaded, "lc") else 1,
                     f"the top level is {_show(shown)} but must be a mapping "
                     "of scene settings")
            return
        self.lines[()] = loaded.lc.line + 1
        self._left = MAX_VALUES
        try:
            self.data = self._plain(loaded, (), set())
        except _TooLarge:
            self.data = None

    def add(self, path, line, message):
        """Record a problem.

        Parameters
        ----------
        path : tuple of str and int
            Field path of the problem.
        line : int or None
            1-based line.
        message : str
            The message, starting with the formatted path.
        """
        self.problems.append(
            SceneProblem(self.name, line, _format_path(path), message))

    def line(self, path):
        """Line of a field, or of its nearest ancestor with a known line.

        Parameters
        ----------
        path : tuple of str and int
            Field path.

        Returns
        -------
        int or None
            1-based line.
        """
        path = tuple(path)
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path)

    def _yaml_problem(self, exc, text):
        """Turn a ruamel error into a problem at the parser's line."""
        line = None
        if isinstance(exc, MarkedYAMLError):
            mark = exc.problem_mark or exc.context_mark
            if mark is not None:
                line = mark.line + 1
            message = f"not valid YAML: {exc.problem or exc.context}"
            if exc.context and exc.problem:
                message += f" ({exc.context}"
                if exc.context_mark is not None:
                    message += f" started on line {exc.context_mark.line + 1}"
                message += ")"
        else:
            position = getattr(exc, "position", None)
            if isinstance(position, int):
                line = text.count("\n", 0, position) + 1
            message = f"not valid YAML: {str(exc).splitlines()[0]}"
        return SceneProblem(self.name, line, "", message)

    def _report_duplicate_keys(self, root):
        """Report every repeated key in the composed node tree `root`."""
        seen_nodes = set()

        def walk(node, path):
            if id(node) in seen_nodes:
                # An alias: its keys were checked where it was anchored.
                return
            seen_nodes.add(id(node))
            if isinstance(node, SequenceNode):
                for index, item in enumerate(node.value):
                    walk(item, path + (index,))
            elif isinstance(node, MappingNode):
                first_lines = {}
                for key, value in node.value:
                    if not isinstance(key, ScalarNode):
                        walk(value, path + ("?",))
                        continue
                    if key.value == "<<":
                        continue
                    child = path + (key.value,)
                    line = key.start_mark.line + 1
                    if key.value in first_lines:
                        self.add(child, line,
                                 f"{_format_path(child)} is given twice "
                                 f"(first on line {first_lines[key.value]}) "
                                 "but each key must appear only once")
                    else:
                        first_lines[key.value] = line
                    walk(value, child)

        if root is not None:
            walk(root, ())

    def _plain(self, node, path, active):
        """Convert ruamel containers below `node`, recording lines."""
        if isinstance(node, dict):
            children = node.items()
        elif isinstance(node, list):
            children = enumerate(node)
        else:
            return _plain_scalar(node)
        if len(path) > MAX_DEPTH:
            shown = _format_path(path[:4]) + "..."
            self.add(path, self.lines.get(path),
                     f"{shown} nests {len(path)} levels deep but a scene must "
                     f"nest at most {MAX_DEPTH} levels")
            raise _TooLarge
        self._left -= len(node)
        if self._left < 0:
            # aliases of aliases expand exponentially ("billion laughs")
            self.add(path, self.lines.get(path),
                     f"the scene expands to more than {MAX_VALUES} values (through YAML "
                     f"aliases, here at {_format_path(path[:4]) or 'the top level'}) but must "
                     "stay below that; write the values out or use fewer aliases")
            raise _TooLarge
        if id(node) in active:
            self.recursive.add(_format_path(path))
            self.add(path, self.lines.get(path),
                     f"{_format_path(path)} is a recursive alias but must be "
                     "a plain value")
            return None
        active = active | {id(node)}
        mapping = isinstance(node, dict)
        result = {} if mapping else []
        for key, value in children:
            if mapping:
                name = key if isinstance(key, str) else str(_plain_scalar(key))
                child = path + (name,)
                key_line = _lc_line(node.lc.key, key)
                value_line = _lc_line(node.lc.value, key)
            else:
                child = path + (key,)
                key_line = value_line = _lc_line(node.lc.item, key)
            if key_line is None:
                # e.g. keys merged in with "<<"
                key_line = value_line = self.lines.get(path)
            if mapping:
                self.key_lines[child] = key_line
            scalar = not isinstance(value, (dict, list)) and value is not None
            # An alias points at its anchor, which may be far above.
            if scalar and value_line is not None and value_line >= key_line:
                self.lines[child] = value_line
            else:
                self.lines[child] = key_line
            converted = self._plain(value, child, active)
            if mapping:
                result[name] = converted
            else:
                result.append(converted)
        return result


def _lc_line(getter, key):
    """1-based line from a ruamel ``lc`` accessor, or None if unknown."""
    try:
        position = getter(key)
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    return None if position is None else position[0] + 1


def _plain_scalar(value):
    """Plain Python value of a ruamel scalar."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, ScalarBoolean):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, TaggedScalar):
        return str(value.value)
    # Dates, timestamps, sets, complex keys: keep the text, so that type
    # checks can show it.
    return str(value)


# -- messages -----------------------------------------------------------------


def _format_path(path):
    """Field path as written in messages: ``sources[1].trajectory[0].time``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _show(value):
    """A value as shown in messages: strings quoted, numbers plain."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping" if value else "an empty mapping"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _plural(count, noun):
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


_TYPE_NAMES = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "a boolean (true or false)",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}

_ITEM_NOUNS = {"sources": "source", "trajectory": "keyframe"}

_COMPARISONS = {
    "minimum": ">=",
    "maximum": "<=",
    "exclusiveMinimum": ">",
    "exclusiveMaximum": "<",
}


def _is_finite_number(checker, instance):
    # JSON has no NaN or infinity, YAML does (.nan, .inf); a scene number
    # must be finite, so they do not count as numbers at all.
    if not jsonschema.Draft202012Validator.TYPE_CHECKER.is_type(
            instance, "number"):
        return False
    return isinstance(instance, int) or math.isfinite(instance)


_VALIDATOR = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
        "number", _is_finite_number),
)(SCENE_SCHEMA)


def _translate(error, document, invalid, required_reported):
    """Problems for one jsonschema error.

    Parameters
    ----------
    error : jsonschema.ValidationError
        The error.
    document : _Document
        Lines of the scene.
    invalid : set
        Field paths with a problem; the paths of this error are added.
    required_reported : set
        Paths of mappings whose missing keys were reported; updated.

    Returns
    -------
    list of SceneProblem
    """
    path = tuple(error.absolute_path)
    shown_path = _format_path(path) or "the scene"
    value = error.instance
    expected = error.validator_value
    kind = error.validator
    problems = []

    def problem(at, message, line=None):
        invalid.add(at)
        if line is None:
            line = document.line(at)
        problems.append(SceneProblem(
            document.name, line, _format_path(at), message))

    if kind == "required":
        # jsonschema reports each missing key separately but gives only the
        # parent; report them all at the first report for that parent.
        if path in required_reported:
            return problems
        required_reported.add(path)
        for key in expected:
            if key not in value:
                child = path + (key,)
                problem(child, f"{_format_path(child)} is missing (required)",
                        document.line(path))
        return problems
    if kind == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        for key in value:
            if key in allowed:
                continue
            child = path + (key,)
            message = (f"{_format_path(child)} is not a known key; "
                       f"allowed: {', '.join(allowed)}")
            close = difflib.get_close_matches(key.lower(), allowed, n=1)
            if close:
                message += f"; did you mean {close[0]}?"
            problem(child, message,
                    document.key_lines.get(child, document.line(child)))
        return problems

    if kind == "type":
        types = [expected] if isinstance(expected, str) else list(expected)
        names = [_TYPE_NAMES.get(name, name) for name in types]
        if (isinstance(value, float) and not math.isfinite(value)
                and "number" in types):
            names[types.index("number")] = "a finite number"
        allowed = " or ".join(names)
    elif kind in _COMPARISONS:
        allowed = f"{_COMPARISONS[kind]} {_show(expected)}"
    elif kind == "enum":
        allowed = "one of " + ", ".join(_show(option) for option in expected)
    elif kind == "const":
        allowed = _show(expected)
    elif kind == "minLength" and expected == 1:
        allowed = "a non-empty string"
    elif kind in ("minLength", "maxLength"):
        bound = "at least" if kind == "minLength" else "at most"
        allowed = f"a string of {bound} {_plural(expected, 'character')}"
    elif kind in ("minItems", "maxItems"):
        noun = _ITEM_NOUNS.get(path[-1] if path else None, "item")
        bound = "at least" if kind == "minItems" else "at most"
        has = "is an empty list" if not value else (
            f"has {_plural(len(value), noun)}")
        problem(path, f"{shown_path} {has} but must have {bound} "
                      f"{_plural(expected, noun)}")
        return problems
    else:
        # Only reached if the schema gains a keyword handled nowhere above.
        problem(path, f"{shown_path} is {_show(value)} but is invalid: "
                      f"{error.message}")
        return problems
    problem(path, f"{shown_path} is {_show(value)} but must be {allowed}")
    return problems


# -- rules beyond the schema --------------------------------------------------


def _is_number(value):
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _resolve(base_dir, name):
    """Absolute path of `name` relative to `base_dir`, or None if invalid."""
    try:
        return (base_dir / name).resolve()
    except (OSError, ValueError):
        # e.g. an embedded NUL character
        return None


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


class _SemanticChecks:
    """Checks a schema cannot express, skipping values it already rejected.

    Parameters
    ----------
    document : _Document
        The scene; problems are added to it.
    invalid : set
        Field paths the schema found a problem at.
    base_dir : pathlib.Path
        Absolute folder relative paths are relative to.

    Attributes
    ----------
    files : dict
        Resolved audio file by source index, for sources whose file is fine.
    hrtf : str or None
        Bundled name or absolute .sofa path, if `hrtf` is given and fine.
    """

    def __init__(self, document, invalid, base_dir):
        self.document = document
        self.data = document.data
        self.invalid = invalid
        self.base_dir = base_dir
        self.files = {}
        self.paths = {}
        self.generators = {}
        self.hrtf = None

    def value(self, path):
        """The value at `path` if it exists and passed the schema.

        Returns
        -------
        tuple
            ``(True, value)`` or ``(False, None)``.
        """
        node = self.data
        for part in path:
            if isinstance(part, int):
                if not isinstance(node, list) or part >= len(node):
                    return False, None
            elif not isinstance(node, dict) or part not in node:
                return False, None
            node = node[part]
        if tuple(path) in self.invalid:
            return False, None
        return True, node

    def add(self, path, message, line=None):
        if line is None:
            line = self.document.line(path)
        self.document.add(path, line, message)

    def run(self):
        self.check_block_size()
        self.check_normalize()
        self.check_trajectory_times(("listener",), "orientation")
        self.check_hrtf()
        found, sources = self.value(("sources",))
        if not found or not isinstance(sources, list):
            return
        names = {}
        for index, source in enumerate(sources):
            if not isinstance(source, dict):
                continue
            path = ("sources", index)
            self.check_motion(path, source)
            self.check_trajectory_times(path)
            self.check_path(path, index)
            self.check_name(path, source, index, names)
            self.check_sound(path, source, index)
        looping = [s for s in sources if isinstance(s, dict) and s.get("loop") is True]
        if looping and len(looping) == len(sources) and self.data.get("duration") is None:
            self.add(("sources",), "sources all loop (loop: true) and the scene has no "
                                   "duration, but a scene must end: give it a duration or "
                                   "let one source play once")

    def check_block_size(self):
        path = ("render", "block_size")
        found, size = self.value(path)
        # A power of two has a single bit set: n & (n - 1) clears it.
        if found and _is_int(size) and size > 0 and size & (size - 1):
            self.add(path, f"render.block_size is {size} but must be a power "
                           "of two (16, 32, 64, ..., 8192)")

    def check_normalize(self):
        path = ("output", "normalize")
        found, value = self.value(path)
        if not found:
            return
        allowed = "'none', {peak: dBTP} or {loudness: LUFS}"
        if isinstance(value, str) and value != "none":
            self.add(path, f"output.normalize is {value!r} but must be {allowed}")
        elif isinstance(value, dict) and len(value) != 1:
            keys = ", ".join(sorted(value)) or "no keys"
            self.add(path, f"output.normalize has {keys} but must have exactly one "
                           f"of peak, loudness")

    def check_motion(self, path, source):
        has_position = "position" in source
        has_trajectory = "trajectory" in source
        if has_position and has_trajectory:
            state = "has both position and trajectory"
        elif not has_position and not has_trajectory:
            state = "has neither position nor trajectory"
        else:
            return
        self.add(path, f"{_format_path(path)} {state} but must have exactly "
                       "one of them")

    def check_path(self, path, index):
        found, spec = self.value(path + ("trajectory",))
        if not found or not isinstance(spec, dict):
            return
        try:
            self.paths[index] = build_path(spec, path + ("trajectory",))
        except PathSpecError as exc:
            where = exc.path
            while len(where) > 1 and not self.value(where)[0]:
                where = where[:-1]
            self.add(where, f"{_format_path(exc.path)} {exc.message}")

    def check_trajectory_times(self, path, key="trajectory"):
        found, keyframes = self.value(path + (key,))
        if not found or not isinstance(keyframes, list):
            return
        previous = None
        for index in range(len(keyframes)):
            time_path = path + (key, index, "time")
            found, time = self.value(time_path)
            if not found or not _is_number(time):
                continue
            if previous is not None and time <= previous[1]:
                before = _format_path(
                    path + (key, previous[0], "time"))
                self.add(time_path,
                         f"{_format_path(time_path)} is {_show(time)} but "
                         f"must be greater than {before}, which is "
                         f"{_show(previous[1])} (times must strictly "
                         "increase)")
            previous = (index, time)

    def check_name(self, path, source, index, names):
        if "name" in source:
            found, name = self.value(path + ("name",))
            if not found or not isinstance(name, str):
                return
            note = ""
        else:
            name = f"source{index}"
            note = " (by default)"
        name_path = path + ("name",)
        if name in names:
            other, other_note = names[name]
            self.add(name_path,
                     f"{_format_path(name_path)} is {_show(name)}{note} but "
                     f"must be unique; sources[{other}] has that name"
                     f"{other_note}")
        else:
            names[name] = (index, note)

    def check_sound(self, path, source, index):
        has_file, has_generator = "file" in source, "generator" in source
        if has_file and has_generator:
            self.add(path, f"{_format_path(path)} has both file and generator but must "
                           "have exactly one of them")
        elif not has_file and not has_generator:
            self.add(path, f"{_format_path(path)} has neither file nor generator but must "
                           "have exactly one of them")
        elif has_file:
            self.check_file(path, index)
        else:
            self.check_generator(path, index)
        found, trim = self.value(path + ("trim",))
        if found and isinstance(trim, list) and len(trim) == 2 and all(
                _is_number(t) for t in trim) and trim[0] >= trim[1]:
            self.add(path + ("trim",), f"{_format_path(path + ('trim',))} is "
                                       f"[{_show(trim[0])}, {_show(trim[1])}] but must be "
                                       "[from, to] with from < to")
        if has_generator:
            for key in ("channel", "trim"):
                if key in source:
                    self.add(path + (key,), f"{_format_path(path + (key,))} applies to "
                                            "files only but the source has a generator")

    def check_generator(self, path, index):
        from ..generators import GENERATORS

        gen_path = path + ("generator",)
        found, spec = self.value(gen_path)
        if not found or not isinstance(spec, dict):
            return
        name = spec.get("type")
        if not isinstance(name, str):
            return
        if name not in GENERATORS:
            self.add(gen_path + ("type",),
                     f"{_format_path(gen_path + ('type',))} is {_show(name)} but must be "
                     f"one of {', '.join(GENERATORS)}")
            return
        params = {k: v for k, v in spec.items() if k not in ("type", "seed", "duration")}
        problems = GENERATORS[name].problems(params)
        for message in problems:
            key = message.split(" ", 1)[0]
            where = gen_path + (key,) if key in params else gen_path
            self.add(where, f"{_format_path(gen_path)}.{message}" if key in params
                     else f"{_format_path(gen_path)}: {message}")
        if "duration" not in spec and self.data.get("duration") is None:
            self.add(gen_path, f"{_format_path(gen_path)} has no duration but needs one "
                               "when the scene has none (generator.duration or the "
                               "scene's duration)")
        self.generators[index] = (name, int(spec.get("seed", 0)), spec.get("duration"),
                                  params)

    def check_file(self, path, index):
        file_path = path + ("file",)
        found, name = self.value(file_path)
        if not found or not isinstance(name, str):
            return
        file = _resolve(self.base_dir, name)
        shown = f"{_format_path(file_path)} is {_show(name)}"
        if file is None:
            self.add(file_path, f"{shown} but must be a valid path")
            return
        if not file.exists():
            self.add(file_path,
                     f"{shown} but must be an existing audio file; {file} "
                     "does not exist (paths are relative to the folder of "
                     "the scene file)")
            return
        if not file.is_file():
            self.add(file_path,
                     f"{shown} but must be an audio file; {file} is a folder")
            return
        try:
            info = soundfile.info(str(file))
        except (soundfile.SoundFileError, RuntimeError, OSError) as exc:
            reason = getattr(exc, "error_string", None) or str(exc)
            self.add(file_path,
                     f"{shown} but must be an audio file soundfile can read; "
                     f"{file} cannot be read: {reason}")
            return
        found, channel = self.value(path + ("channel",))
        if found and _is_int(channel):
            if channel >= info.channels:
                channel_path = path + ("channel",)
                self.add(channel_path,
                         f"{_format_path(channel_path)} is {channel} but must be below "
                         f"{info.channels}; {file} has {_plural(info.channels, 'channel')}")
                return
        elif info.channels != 1:
            self.add(file_path,
                     f"{shown} but must be a mono audio file (or pick one with "
                     f"channel:); {file} has {_plural(info.channels, 'channel')}")
            return
        self.files[index] = file

    def check_hrtf(self):
        found, name = self.value(("hrtf",))
        if not found or not isinstance(name, str):
            return
        is_path = ("/" in name or "\\" in name or os.sep in name
                   or name.lower().endswith(".sofa"))
        message = (f"hrtf is {_show(name)} but must be a bundled name "
                   f"({', '.join(BUNDLED_HRTFS)}) or an existing .sofa file")
        if not is_path:
            if name.lower() in BUNDLED_HRTFS:
                self.hrtf = name.lower()
            else:
                self.add(("hrtf",), message)
            return
        file = _resolve(self.base_dir, name)
        if file is None:
            self.add(("hrtf",), message)
        elif file.suffix.lower() != ".sofa":
            self.add(("hrtf",), f"{message}; {file} is not a .sofa file")
        elif not file.is_file():
            self.add(("hrtf",), f"{message}; {file} does not exist")
        else:
            self.hrtf = str(file)


# -- building the scene -------------------------------------------------------


def _build_scene(data, checks):
    """The Scene of valid plain `data`, with defaults for what is missing."""
    render = data.get("render") or {}
    output = data.get("output") or {}
    scene = {}
    if "sample_rate" in data:
        scene["sample_rate"] = int(data["sample_rate"])
    if data.get("duration") is not None:
        scene["duration"] = float(data["duration"])
    if checks.hrtf is not None:
        scene["hrtf"] = checks.hrtf
    settings = {}
    if "interpolation" in render:
        settings["interpolation"] = render["interpolation"]
    if "block_size" in render:
        settings["block_size"] = int(render["block_size"])
    for key in ("distance_gain", "near_field", "doppler"):
        if key in render:
            settings[key] = render[key]
    if "head_radius" in render:
        settings["head_radius"] = float(render["head_radius"])
    bit_depth = {}
    if "bit_depth" in output:
        depth = output["bit_depth"]
        bit_depth["bit_depth"] = depth if depth == "float" else int(depth)
    if isinstance(output.get("normalize"), dict):
        (kind, target), = output["normalize"].items()
        bit_depth["normalize"] = (kind, float(target))

    sources = []
    for index, source in enumerate(data["sources"]):
        spec = {
            "name": source.get("name", f"source{index}"),
            "file": checks.files.get(index),
            "generator": checks.generators.get(index),
            "gain_db": float(source.get("gain_db", 0.0)),
            "channel": source.get("channel"),
            "start": float(source.get("start", 0.0)),
            "trim": tuple(float(t) for t in source["trim"]) if "trim" in source else None,
            "loop": bool(source.get("loop", False)),
            "fade_in": float(source.get("fade_in", 0.0)),
            "fade_out": float(source.get("fade_out", 0.0)),
        }
        if "position" in source:
            point = source["position"]
            spec["position"] = (float(point["azimuth"]),
                                float(point["elevation"]),
                                float(point["distance"]))
        elif isinstance(source["trajectory"], dict):
            spec["path"] = checks.paths[index]
            spec["path_spec"] = source["trajectory"]
        else:
            spec["trajectory"] = tuple(
                Keyframe(time=float(key["time"]),
                         azimuth=float(key["azimuth"]),
                         elevation=float(key["elevation"]),
                         distance=float(key["distance"]))
                for key in source["trajectory"])
        sources.append(SourceSpec(**spec))
    listener = data.get("listener") or {}
    scene["listener"] = tuple(
        Orientation(time=float(key["time"]), yaw=float(key.get("yaw", 0.0)),
                    pitch=float(key.get("pitch", 0.0)), roll=float(key.get("roll", 0.0)))
        for key in listener.get("orientation") or ())
    return Scene(sources=tuple(sources), render=RenderSettings(**settings),
                 output=OutputSettings(**bit_depth), **scene)
