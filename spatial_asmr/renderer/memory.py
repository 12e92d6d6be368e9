"""Sizes in words and numbers, and how much memory this machine lets a render have."""

__all__ = ["format_size", "parse_size", "machine_memory", "default_max_memory",
           "MEMORY_FRACTION"]

import math
import os

MEMORY_FRACTION = 0.5
"""float : Share of the machine's memory a render may use by default."""


def format_size(count):
    """Bytes as text: ``'512.0 MB'``, ``'3.25 GB'`` (powers of 1000).

    Parameters
    ----------
    count : float

    Returns
    -------
    str
    """
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.{2 if unit in ('TB', 'GB') else 1}f} {unit}"
    return f"{count:.0f} B"


_UNITS = {"": 1, "b": 1, "k": 2 ** 10, "kb": 10 ** 3, "kib": 2 ** 10, "m": 2 ** 20,
          "mb": 10 ** 6, "mib": 2 ** 20, "g": 2 ** 30, "gb": 10 ** 9, "gib": 2 ** 30,
          "t": 2 ** 40, "tb": 10 ** 12, "tib": 2 ** 40}


def parse_size(text, name="memory size"):
    """A memory size as a user writes it, in bytes.

    Parameters
    ----------
    name : str, optional
        What the size is, for the message (``"--max-memory"``).
    text : str or int or float
        A number of bytes, or a number with a unit: ``K``, ``M``, ``G``,
        ``T`` and ``KiB``... are powers of 1024, ``kB``, ``MB``, ``GB``,
        ``TB`` powers of 1000 (``"8G"``, ``"1.5GB"``, ``"512MiB"``);
        ``"none"`` for no limit.

    Returns
    -------
    float
        Bytes; ``math.inf`` for ``"none"``.

    Raises
    ------
    ArgumentError
        Anything else.
    """
    from ..checks import must_be
    from ..errors import ArgumentError

    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value, unit = float(text), ""
    else:
        raw = str(text).strip().lower().replace(" ", "")
        if raw == "none":
            return math.inf
        digits = raw.rstrip("kmgtib")
        value, unit = digits, raw[len(digits):]
        try:
            value = float(value)
        except ValueError:
            value = math.nan
    if unit not in _UNITS or not math.isfinite(value) or value <= 0:
        raise ArgumentError(must_be(
            name, text, "a positive number of bytes, with K, M, G or T (powers of 1024) or "
            "kB, MB, GB, TB (powers of 1000), e.g. 8G, or 'none'", show=repr))
    return value * _UNITS[unit]


def _cgroup_limit():
    # a container's memory limit (cgroup v2, then v1), if it sets one
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as fh:
                text = fh.read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2 ** 60:
            return int(text)
    return None


def machine_memory():
    """Bytes of memory this machine has, or its container's limit if lower.

    Returns
    -------
    int
    """
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    limit = _cgroup_limit()
    return min(total, limit) if limit else total


def default_max_memory(jobs=1):
    """The memory a render may use unless told otherwise, bytes.

    :data:`MEMORY_FRACTION` of :func:`machine_memory`, shared by ``jobs``
    renders that run at once.

    Parameters
    ----------
    jobs : int, optional

    Returns
    -------
    float
    """
    return MEMORY_FRACTION * machine_memory() / max(int(jobs), 1)
