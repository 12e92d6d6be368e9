"""The scene schema's verdict: jsonschema errors translated into one problem per field."""

__all__ = ["schema_problems"]

import difflib
import math

import jsonschema

from ..checks import format_path, must_be
from ..errors import SceneProblem
from .document import plural, show_yaml
from .schema import SCENE_SCHEMA

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


def schema_problems(document):
    """Every problem the schema finds in a scene.

    Parameters
    ----------
    document : Document
        The scene, read (``document.data`` is not None).

    Returns
    -------
    problems : list of SceneProblem
    invalid : set
        Field paths (tuples) with a problem, which the rules beyond the
        schema skip.
    """
    problems, invalid, required_reported = [], set(), set()
    for error in _VALIDATOR.iter_errors(document.data):
        problems.extend(
            problem for problem in _translate(error, document, invalid, required_reported)
            # A recursive alias was replaced by null and already reported.
            if problem.path not in document.recursive)
    return problems, invalid


def _translate(error, document, invalid, required_reported):
    """Problems for one jsonschema error.

    Parameters
    ----------
    error : jsonschema.ValidationError
        The error.
    document : Document
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
    shown_path = format_path(path) or "the scene"
    value = error.instance
    expected = error.validator_value
    kind = error.validator
    problems = []

    def problem(at, message, line=None):
        invalid.add(at)
        if line is None:
            line = document.line(at)
        problems.append(SceneProblem(
            document.name, line, format_path(at), message))

    if kind == "required":
        # jsonschema reports each missing key separately but gives only the
        # parent; report them all at the first report for that parent.
        if path in required_reported:
            return problems
        required_reported.add(path)
        for key in expected:
            if key not in value:
                child = path + (key,)
                problem(child, f"{format_path(child)} is missing (required)",
                        document.line(path))
        return problems
    if kind == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        for key in value:
            if key in allowed:
                continue
            child = path + (key,)
            message = (f"{format_path(child)} is not a known key; "
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
        allowed = f"{_COMPARISONS[kind]} {show_yaml(expected)}"
    elif kind == "enum":
        allowed = "one of " + ", ".join(show_yaml(option) for option in expected)
    elif kind == "const":
        allowed = show_yaml(expected)
    elif kind == "pattern" and "x-string" in error.schema:
        allowed = error.schema["x-string"]
    elif kind == "minLength" and expected == 1:
        allowed = "a non-empty string"
    elif kind in ("minLength", "maxLength"):
        bound = "at least" if kind == "minLength" else "at most"
        allowed = f"a string of {bound} {plural(expected, 'character')}"
    elif kind in ("minItems", "maxItems"):
        noun = _ITEM_NOUNS.get(path[-1] if path else None, "item")
        bound = "at least" if kind == "minItems" else "at most"
        has = "is an empty list" if not value else (
            f"has {plural(len(value), noun)}")
        problem(path, f"{shown_path} {has} but must have {bound} "
                      f"{plural(expected, noun)}")
        return problems
    else:
        # Only reached if the schema gains a keyword handled nowhere above.
        problem(path, f"{shown_path} is {show_yaml(value)} but is invalid: "
                      f"{error.message}")
        return problems
    problem(path, must_be(shown_path, value, allowed, show_yaml))
    return problems
