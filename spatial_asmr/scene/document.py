"""Reading a scene's YAML: plain Python data, the line of every value, and YAML problems."""

__all__ = ["MAX_VALUES", "MAX_DEPTH", "Document", "show_yaml", "plural"]

import sys

from ruamel.yaml import YAML
from ruamel.yaml.comments import TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.scalarbool import ScalarBoolean

from ..checks import format_path, must_be
from ..errors import SceneProblem

MAX_VALUES = 200_000
"""int : Most values (mapping entries and list items, aliases expanded) a scene may hold."""

MAX_DEPTH = 64
"""int : Deepest nesting of mappings and lists a scene may have."""


class _TooLarge(Exception):
    """The document is past MAX_VALUES or MAX_DEPTH (already reported)."""


class Document:
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
                     must_be("the top level", shown, "a mapping of scene settings", show_yaml))
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
            SceneProblem(self.name, line, format_path(path), message))

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
                                 f"{format_path(child)} is given twice "
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
            shown = format_path(path[:4]) + "..."
            self.add(path, self.lines.get(path),
                     f"{shown} nests {len(path)} levels deep but a scene must "
                     f"nest at most {MAX_DEPTH} levels")
            raise _TooLarge
        self._left -= len(node)
        if self._left < 0:
            # aliases of aliases expand exponentially ("billion laughs")
            self.add(path, self.lines.get(path),
                     f"the scene expands to more than {MAX_VALUES} values (through YAML "
                     f"aliases, here at {format_path(path[:4]) or 'the top level'}) but must "
                     "stay below that; write the values out or use fewer aliases")
            raise _TooLarge
        if id(node) in active:
            self.recursive.add(format_path(path))
            self.add(path, self.lines.get(path),
                     f"{format_path(path)} is a recursive alias but must be "
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


def show_yaml(value):
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


def plural(count, noun):
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
