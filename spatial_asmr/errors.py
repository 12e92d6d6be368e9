"""Exception and warning hierarchy of spatial-asmr.

Every error the package raises on purpose derives from
:class:`SpatialAsmrError`, so that ``except SpatialAsmrError`` catches them
all; each is also the built-in exception its cause calls for, so that code
written for ``ValueError`` or ``OSError`` keeps working::

    SpatialAsmrError(Exception)       itself: the environment lacks something
    │                                 (a Dask scheduler that cannot be reached)
    ├── SceneError(ValueError)        a scene file or Scene is invalid, or too
    │                                 large for the memory limit
    ├── HrtfError(ValueError)         SOFA / HRTF data or arguments
    ├── AudioFileError(ValueError)    a source audio file
    ├── GeneratorError(ValueError)    a generator name or parameter
    │                                 (spatial_asmr.generators)
    ├── ArgumentError(ValueError)     any other bad argument to a public
    │                                 function (audio arrays, coordinates,
    │                                 sizes, options)
    └── OutputError(OSError)          results cannot be written: the
                                      destination, free space, a full disk,
                                      a folder removed or made read-only

Bad input is a ``ValueError``; what the operating system refuses is an
``OSError``, with the path and the system's reason in the message
("cannot write OUT: No space left on device").  The command line prints
any of them as ``error: MESSAGE`` and exits 1, without a traceback.
"""

__all__ = [
    "SpatialAsmrError",
    "SceneError",
    "SceneProblem",
    "HrtfError",
    "AudioFileError",
    "OutputError",
    "ArgumentError",
    "SpatialAsmrWarning",
    "HrtfWarning",
]

from dataclasses import dataclass


class SpatialAsmrError(Exception):
    """Root of all errors raised by spatial-asmr (see the module docstring)."""


@dataclass(frozen=True)
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


class ArgumentError(SpatialAsmrError, ValueError):
    """A public function got an argument it cannot use; the message reads
    "<name> is <value> but must be <allowed>"."""


class OutputError(SpatialAsmrError, OSError):
    """The output cannot be written: "cannot write PATH: reason"."""


class SpatialAsmrWarning(UserWarning):
    """Root of warnings issued by spatial-asmr."""


class HrtfWarning(SpatialAsmrWarning):
    """HRTF data is usable but something about it was corrected or guessed."""
