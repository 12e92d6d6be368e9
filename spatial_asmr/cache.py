"""The disk cache: data derived from input files, kept between runs.

The kinds of entry kept: preprocessed HRTF sets (``hrtf``: a SOFA
file's responses resampled to a render rate, their minimum-phase versions
and onsets), near-field tables (``nearfield``: the synthesised distance
layers of such a set), rigid-sphere tables (``sphere``) and the
triangulations of dense sets' directions (``hull``, keyed by the directions
themselves).  Each takes seconds to compute and comes out the same
every time, so a render computes it once and later renders read it back.

Where
    ``$SPATIAL_ASMR_CACHE`` when it is set and not empty; else the
    platform's user cache folder: ``$XDG_CACHE_HOME/spatial-asmr``, or
    ``~/.cache/spatial-asmr`` where that is unset or not an absolute path
    (Linux and other POSIX systems), ``~/Library/Caches/spatial-asmr``
    (macOS), ``%LOCALAPPDATA%\\spatial-asmr\\Cache`` (Windows).  The folder
    is made when the first entry is written; removing it is always safe.

Keys
    An entry is named by a SHA-256 of the package version, its kind, the
    content hash of its input (the bytes of the SOFA file, not its path or
    modification time) and the parameters that shape it (render rate, head
    radius...).  An edited input file or another version of the package
    gives another entry; no format version is bumped by hand.  Entries of
    other versions are left where they are (remove the folder to reclaim
    their space).

Writing and reading
    An entry is written under a temporary name in the cache folder and
    renamed (:func:`spatial_asmr.output.files.atomic_path`), so a reader
    in another process sees all of it or nothing.  An entry that cannot be
    read (cut short, damaged, not what it should hold) counts as missing: it
    is computed again and overwritten.  A folder that cannot be written (read
    only, a full disk) leaves the render uncached but otherwise the same.
"""

__all__ = ["cache_dir", "file_hash", "key", "entry_path", "load", "store"]

import hashlib
import json
import os
import sys
from pathlib import Path

_APP = "spatial-asmr"


def cache_dir():
    """The cache folder (it need not exist yet).

    Returns
    -------
    pathlib.Path
        ``$SPATIAL_ASMR_CACHE`` if set and not empty, else the platform's
        user cache folder for spatial-asmr (see the module docstring).
    """
    root = os.environ.get("SPATIAL_ASMR_CACHE")
    if root:
        return Path(root)
    return _user_cache_dir()


def _user_cache_dir():
    # The conventions platformdirs follows, for the three platforms it knows,
    # without the dependency.
    home = Path.home()
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA", "")
        base = Path(local) if os.path.isabs(local) else home / "AppData" / "Local"
        return base / _APP / "Cache"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / _APP
    # XDG Base Directory: a relative (or empty) value is invalid and ignored
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(xdg) if os.path.isabs(xdg) else home / ".cache") / _APP


def file_hash(path):
    """SHA-256 of a file's content.

    Parameters
    ----------
    path : str or pathlib.Path

    Returns
    -------
    str
        64 hex digits.

    Raises
    ------
    OSError
        If the file cannot be read.
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def key(kind, content, **parameters):
    """The key of derived data: what it is, what from, and how.

    Parameters
    ----------
    kind : str
        What the data are (``"hrtf"``, ``"nearfield"``); also the start of
        the entry's file name.
    content : str
        Content hash of the input (:func:`file_hash`, or the key of the
        entry it is derived from).
    **parameters : str, int, float or bool
        Everything else the data depend on.  Floats count exactly (by
        ``repr``): ``0.0875`` and ``0.08750001`` are two keys.

    Returns
    -------
    str
        32 hex digits (128 bits of a SHA-256 over the package version,
        ``kind``, ``content`` and ``parameters``).
    """
    from . import __version__  # read at each call: a new version is a new key

    text = json.dumps({"version": __version__, "kind": kind, "content": content,
                       "parameters": parameters}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def entry_path(kind, entry_key, suffix):
    """Where the entry of ``kind`` with key ``entry_key`` lives.

    Parameters
    ----------
    kind : str
    entry_key : str
        From :func:`key`.
    suffix : str
        The file type, ``".npz"``.

    Returns
    -------
    pathlib.Path
        ``cache_dir() / "KIND-KEY.SUFFIX"``.
    """
    return cache_dir() / f"{kind}-{entry_key}{suffix}"


def load(path, read):
    """An entry read back, or None when it is missing or unusable.

    Parameters
    ----------
    path : pathlib.Path
        From :func:`entry_path`.
    read : callable
        ``read(path)`` returns the data, or raises if the file does not hold
        what it should (a wrong shape is worth a ``ValueError``).

    Returns
    -------
    object or None
        What ``read`` returned; None if the file is missing or ``read``
        raised anything: the caller computes the data and stores them over
        the bad entry.
    """
    if not path.is_file():
        return None
    try:
        return read(path)
    except Exception:
        # Whatever another process, version or a full disk left there: a
        # truncated zip, a bad header, wrong shapes, absurd sizes (MemoryError).
        # A cache is never a reason for a render to fail.
        return None


def store(path, write):
    """Write an entry atomically, if the cache folder can be written.

    Parameters
    ----------
    path : pathlib.Path
        From :func:`entry_path`.
    write : callable
        ``write(fh)`` writes the entry to the binary file ``fh``.

    Returns
    -------
    bool
        False if the folder could not be made or written (read only, full);
        nothing is left behind then, and the caller goes on uncached.
    """
    from .output.files import atomic_path

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            write(fh)
    except OSError:  # OutputError too: caching is an optimisation
        return False
    return True
