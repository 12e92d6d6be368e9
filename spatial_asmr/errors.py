"""Exception and warning hierarchy of spatial-asmr.

Every error the package raises on bad input derives from
:class:`SpatialAsmrError`, so that callers can catch broadly or narrowly::

    SpatialAsmrError
    ├── SceneError(SpatialAsmrError, ValueError)   scene files
    ├── HrtfError(SpatialAsmrError, ValueError)    SOFA / HRTF data
    ├── AudioFileError(SpatialAsmrError, ValueError)  source audio files
    └── OutputError(SpatialAsmrError, OSError)     writing results
"""

__all__ = [
    "SpatialAsmrError",
    "SceneError",
    "SceneProblem",
    "HrtfError",
    "AudioFileError",
    "OutputError",
    "SpatialAsmrWarning",
    "HrtfWarning",
]

from dataclasses import dataclass as _dataclass


class SpatialAsmrError(Exception):
    """Root of all errors raised by spatial-asmr on bad input."""


@_dataclass(frozen=True)
class SceneProblem:
    """One problem found in a scene file.

    Attributes
    ----------
    file : str
        The scene file as the user named it.
    line : int or None
        1-based line of the offending value, if known.
    path : str
        Field path, e.g. ``sources[1].trajectory[0].time``.
    message : str
        What is wrong, phrased "<path> is <value> but must be <allowed>".
    """

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self):
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class SceneError(SpatialAsmrError, ValueError):
    """A scene file is invalid; carries every problem found at once.

    Parameters
    ----------
    problems : list of SceneProblem or str
        All problems found.  ``str(error)`` lists them one per line.
    """

    def __init__(self, problems):
        if isinstance(problems, (str, SceneProblem)):
            problems = [problems]
        self.problems = list(problems)
        lines = [str(p) for p in self.problems]
        if len(lines) == 1:
            text = lines[0]
        else:
            text = f"{len(lines)} problems in scene:\n" + "\n".join(
                f"- {line}" for line in lines)
        super().__init__(text)


class HrtfError(SpatialAsmrError, ValueError):
    """A SOFA/HRTF file cannot be used; the message names the file."""


class AudioFileError(SpatialAsmrError, ValueError):
    """A source audio file cannot be used; the message names the file."""


class OutputError(SpatialAsmrError, OSError):
    """The output cannot be written."""


class SpatialAsmrWarning(UserWarning):
    """Root of warnings issued by spatial-asmr."""


class HrtfWarning(SpatialAsmrWarning):
    """HRTF data is usable but something about it was corrected or guessed."""
