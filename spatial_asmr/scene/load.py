"""Loading a scene: read the file, validate it against the schema and the rules, build it."""

__all__ = ["MAX_DEPTH", "MAX_VALUES", "load_scene", "parse_scene"]

import os
import pathlib
from dataclasses import replace

from ..checks import check_path
from ..errors import SceneError, SceneProblem
from .build import build_scene
from .document import MAX_DEPTH, MAX_VALUES, Document
from .rules import SemanticChecks
from .validate import schema_problems


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
    document = Document(data_text, path_for_messages)
    if document.data is None:
        raise SceneError(sorted(document.problems, key=_line_order))
    data = document.data

    problems, invalid = schema_problems(document)
    document.problems.extend(problems)
    checks = SemanticChecks(document, invalid, base_dir)
    checks.run()

    if document.problems:
        raise SceneError(sorted(document.problems, key=_line_order))
    return build_scene(data, checks)


def _line_order(problem):
    # Problems without a line concern the whole file: list them first.
    return problem.line or 0
