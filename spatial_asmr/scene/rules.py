"""Scene rules a schema cannot state: unique names, increasing times, files, paths, generators."""

__all__ = ["SemanticChecks"]

import math
import os

import soundfile

from ..checks import format_path, must_be
from .document import plural, show_yaml
from .model import BUNDLED_HRTFS
from .paths import PathSpecError, build_path


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


class SemanticChecks:
    """Checks a schema cannot express, skipping values it already rejected.

    Parameters
    ----------
    document : Document
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

    def bad(self, path, value, allowed, show=None):
        """Report "<path> is <value> but must be <allowed>" (values as YAML shows them)."""
        self.add(path, must_be(format_path(path), value, allowed, show or show_yaml))

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
            self.bad(path, size, "a power of two (16, 32, 64, ..., 8192)", str)

    def check_normalize(self):
        path = ("output", "normalize")
        found, value = self.value(path)
        if not found:
            return
        allowed = "'none', {peak: dBTP} or {loudness: LUFS or a platform preset}"
        if isinstance(value, str) and value != "none":
            self.bad(path, value, allowed, repr)
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
        self.add(path, f"{format_path(path)} {state} but must have exactly "
                       "one of them")

    def check_path(self, path, index):
        found, spec = self.value(path + ("trajectory",))
        if not found or not isinstance(spec, dict):
            return
        try:
            self.paths[index] = build_path(spec, path + ("trajectory",))
        except PathSpecError as exc:
            # at the deepest field the scene has (a parameter may be missing)
            where = exc.problem.path
            while len(where) > 1 and not self.value(where)[0]:
                where = where[:-1]
            self.add(where, exc.problem.message)

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
                before = format_path(
                    path + (key, previous[0], "time"))
                self.bad(time_path, time, f"greater than {before}, which is "
                                          f"{show_yaml(previous[1])} (times must strictly "
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
            self.bad(name_path, name, f"unique; sources[{other}] has that name{other_note}",
                     lambda value: show_yaml(value) + note)
        else:
            names[name] = (index, note)

    def check_sound(self, path, source, index):
        has_file, has_generator = "file" in source, "generator" in source
        if has_file and has_generator:
            self.add(path, f"{format_path(path)} has both file and generator but must "
                           "have exactly one of them")
        elif not has_file and not has_generator:
            self.add(path, f"{format_path(path)} has neither file nor generator but must "
                           "have exactly one of them")
        elif has_file:
            self.check_file(path, index)
        else:
            self.check_generator(path, index)
        found, trim = self.value(path + ("trim",))
        if found and isinstance(trim, list) and len(trim) == 2 and all(
                _is_number(t) for t in trim) and trim[0] >= trim[1]:
            self.bad(path + ("trim",), trim, "[from, to] with from < to",
                     lambda pair: f"[{show_yaml(pair[0])}, {show_yaml(pair[1])}]")
        if has_generator:
            for key in ("channel", "trim"):
                if key in source:
                    self.add(path + (key,), f"{format_path(path + (key,))} applies to "
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
            self.bad(gen_path + ("type",), name, f"one of {', '.join(GENERATORS)}")
            return
        params = {k: v for k, v in spec.items() if k not in ("type", "seed", "duration")}
        for problem in GENERATORS[name].parameter_problems(params):
            if problem.path:  # a parameter's value: at that parameter
                self.add(gen_path + problem.path, problem.within(*gen_path).message)
            else:
                self.add(gen_path, f"{format_path(gen_path)}: {problem.message}")
        if "duration" not in spec and self.data.get("duration") is None:
            self.add(gen_path, f"{format_path(gen_path)} has no duration but needs one "
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
        if file is None:
            self.bad(file_path, name, "a valid path")
            return
        if not file.exists():
            self.bad(file_path, name, f"an existing audio file; {file} does not exist "
                                      "(paths are relative to the folder of the scene file)")
            return
        if not file.is_file():
            self.bad(file_path, name, f"an audio file; {file} is a folder")
            return
        try:
            info = soundfile.info(str(file))
        except (soundfile.SoundFileError, RuntimeError, OSError) as exc:
            reason = getattr(exc, "error_string", None) or str(exc)
            self.bad(file_path, name, f"an audio file soundfile can read; {file} cannot be "
                                      f"read: {reason}")
            return
        found, channel = self.value(path + ("channel",))
        if found and _is_int(channel):
            if channel >= info.channels:
                self.bad(path + ("channel",), channel, f"below {info.channels}; {file} has "
                                                       f"{plural(info.channels, 'channel')}",
                         str)
                return
        elif info.channels != 1:
            self.bad(file_path, name, f"a mono audio file (or pick one with channel:); "
                                      f"{file} has {plural(info.channels, 'channel')}")
            return
        self.files[index] = file

    def check_hrtf(self):
        found, name = self.value(("hrtf",))
        if not found or not isinstance(name, str):
            return
        is_path = ("/" in name or "\\" in name or os.sep in name
                   or name.lower().endswith(".sofa"))
        message = must_be("hrtf", name, f"a bundled name ({', '.join(BUNDLED_HRTFS)}) or an "
                                        "existing .sofa file", show_yaml)
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
