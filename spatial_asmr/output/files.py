"""Files on disk: atomic replacement, temporaries, free space, and OS errors in words.

Every file spatial-asmr writes (audio, sidecars, manifests, caches, SOFA
files) is written under a temporary name ``.NAME.XXXX.partial`` in the
destination folder and renamed when complete (:func:`atomic_path`), so an
existing file is never left half-written or replaced by a broken one.  An
operating-system failure while writing becomes one :class:`OutputError`
"cannot write PATH: reason" (:func:`writing`, :func:`cannot_write`).
"""

__all__ = ["atomic_path", "atomic_text", "writing", "cannot_write", "temporaries",
           "remove_temporaries", "check_space"]

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from ..errors import OutputError


def temporaries(output):
    """Temporary files a render of ``output`` (and its sidecars) may leave:
    ``.NAME.XXXX.partial`` of the output, sidecar and annotation, and the
    mastering spool ``.NAME.XXXX.mix`` (XXXX: mkstemp's letters, no dot)."""
    output = Path(output)
    folder = output.parent
    if not folder.is_dir():
        return []
    names = {output.name, output.with_suffix(".json").name, output.with_suffix(".csv").name}
    found = []
    for path in folder.iterdir():
        name = path.name
        for suffix in (".partial", ".mix"):
            if name.startswith(".") and name.endswith(suffix):
                base, _, random = name[1:-len(suffix)].rpartition(".")
                if base in names and random and "." not in random:
                    found.append(path)
    return found


def remove_temporaries(output):
    """Remove what :func:`temporaries` finds (left by a killed render)."""
    for path in temporaries(output):
        try:
            path.unlink()
        except OSError:
            pass


def check_space(path, parts):
    """Refuse to start a render whose files cannot fit on the disk.

    Parameters
    ----------
    path : pathlib.Path
        The output.
    parts : list of (str, int)
        What the render will have beside it at one time, and how many
        bytes each: ``[("the audio", 5_760_128), ...]``.

    Raises
    ------
    OutputError
        "cannot write PATH: it needs about N MB (the audio N MB, ...) but
        its disk has M MB free".
    """
    import shutil

    folder = path.parent if str(path.parent) else Path(".")
    needed = sum(count for _, count in parts)
    with writing(path):
        free = shutil.disk_usage(folder).free
    if needed > free:
        listed = ", ".join(f"{label} {_megabytes(count)}" for label, count in parts)
        raise OutputError(f"cannot write {path}: it needs about {_megabytes(needed)} "
                           f"({listed}) but its disk has {_megabytes(free)} free")


def _megabytes(count):
    return f"{count / 1e6:.1f} MB" if count < 1e9 else f"{count / 1e9:.2f} GB"


def cannot_write(path, reason):
    """The :class:`OutputError` "cannot write PATH: reason".

    Parameters
    ----------
    path : str or pathlib.Path
        The file the user asked for (not a temporary name).
    reason : OSError or str
        The operating system's error, or its text.

    Returns
    -------
    OutputError
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():  # whatever the call said, this is why
        reason = f"its folder {str(folder)!r} does not exist"
    elif isinstance(reason, OSError):
        reason = reason.strerror or str(reason)
    return OutputError(f"cannot write {path}: {reason}")


@contextmanager
def writing(path):
    """Report an OS failure inside the block as "cannot write PATH: reason".

    Wrap only the calls that write ``path`` (or its temporary files), so
    that a failure to read an input is not blamed on the output.

    Raises
    ------
    OutputError
    """
    try:
        yield
    except OutputError:
        raise
    except OSError as exc:
        raise cannot_write(path, exc) from None


@contextmanager
def atomic_path(path):
    """A temporary name beside ``path``, renamed to it when the block ends.

    The temporary file ``.NAME.XXXX.partial`` is created in the
    destination folder (so the rename is atomic); when the ``with`` block
    raises (an error, an interrupt), it is removed and ``path`` is left as
    it was.  The result gets the permissions a plain ``open()`` would give.

    Yields
    ------
    tmp : str
        The temporary path to write.

    Raises
    ------
    OutputError
        "cannot write PATH: reason" when the folder cannot be written, or
        the rename fails (the folder was removed or made read-only, PATH
        became a folder).
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    with writing(path):
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=folder)
    try:
        os.close(fd)
        yield tmp
        with writing(path):
            # mkstemp makes the file private (0600)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        except OSError as failure:
            if isinstance(exc, OutputError):  # say what is left behind, and why
                raise OutputError(f"{exc}; the temporary file {tmp} could not be removed "
                                   f"({failure.strerror}); the next render of {path.name} "
                                   "removes it") from None
        raise


@contextmanager
def atomic_text(path):
    """A text file to write in place of ``path``, atomically.

    :func:`atomic_path` with the temporary file opened for text; a write
    that fails raises "cannot write PATH: reason" (:func:`writing`).

    Yields
    ------
    file object
    """
    with atomic_path(path) as tmp, writing(path), open(tmp, "w") as fh:
        yield fh
