"""The listener's head orientation over time, and positions seen from the turning head."""

__all__ = ["orientation_at", "head_frame", "still_intervals", "still_spans"]

import numpy as np

from ..checks import check_array, check_number, must_be, show
from ..errors import ArgumentError
from .base import held_spans
from .coordinates import world_to_head

_ORIENTATION = ("yaw", "pitch", "roll")


def _table(name, keyframes, fields):
    """Times (K,), strictly increasing, and ``fields`` (K, F) of keyframe objects, all finite."""
    try:
        items = list(keyframes)
    except TypeError:
        raise ArgumentError(must_be(name, keyframes, "a sequence of keyframes")) from None
    fields = ("time",) + fields
    try:
        rows = [[getattr(key, field) for field in fields] for key in items]
    except AttributeError:
        i = next(i for i, key in enumerate(items)
                 if not all(hasattr(key, field) for field in fields))
        raise ArgumentError(f"{name}[{i}] is {show(items[i])} but must have the attributes "
                            f"{', '.join(fields)}") from None
    try:
        table = np.array(rows, dtype=float).reshape(len(rows), len(fields))
        good = np.isfinite(table).all()
    except (TypeError, ValueError):
        good = False
    if not good:  # name the first bad value (this is the slow path)
        for i, row in enumerate(rows):
            for field, value in zip(fields, row, strict=True):
                check_number(f"{name}[{i}].{field}", value, ArgumentError, "a finite number")
    t = table[:, 0]
    step = np.flatnonzero(np.diff(t) <= 0)  # np.interp needs the times sorted
    if len(step):
        i = int(step[0]) + 1
        raise ArgumentError(must_be(f"{name}[{i}].time", t[i],
                                    f"> {name}[{i - 1}].time ({show(t[i - 1])})"))
    return t, table[:, 1:]


def orientation_at(keyframes, times):
    """Listener orientation at the given times.

    Parameters
    ----------
    keyframes : sequence
        Objects with ``time``, ``yaw``, ``pitch``, ``roll``
        (:class:`~spatial_asmr.scene.Orientation`); times strictly
        increasing.  Empty means facing forward.
    times : array_like, shape (Q,)
        Seconds.

    Returns
    -------
    yaw, pitch, roll : ndarray, shape (Q,)
        Degrees; linear between keyframes, held outside.
    """
    times = check_array("times", times, ArgumentError)
    t, values = _table("keyframes", keyframes, _ORIENTATION)
    if not len(t):
        zero = np.zeros_like(times)
        return zero, zero, zero
    return tuple(np.interp(times, t, values[:, i]) for i in range(3))


def still_intervals(keyframes):
    """Spans of time over which the listener's head does not turn.

    Parameters
    ----------
    keyframes : sequence of Orientation
        As :func:`orientation_at` takes them.

    Returns
    -------
    list of (float, float)
        ``(t0, t1)`` seconds, increasing and disjoint, ``-inf`` and ``inf``
        at the ends: before the first and after the last keyframe, and
        between equal neighbouring keyframes (linear in between).
    """
    t, values = _table("keyframes", keyframes, _ORIENTATION)
    if not len(t):
        return [(-np.inf, np.inf)]
    return held_spans(t, values)


def still_spans(motion, keyframes):
    """Spans of time over which a source is still in the listener's head frame.

    Parameters
    ----------
    motion : SourcePath
    keyframes : sequence of Orientation
        The listener's.

    Returns
    -------
    list of (float, float)
        Where the source's :meth:`~SourcePath.still_intervals` and the
        listener's :func:`still_intervals` overlap, increasing.
    """
    heads = still_intervals(keyframes)
    spans = []
    for a0, a1 in motion.still_intervals():
        for b0, b1 in heads:
            t0, t1 = max(a0, b0), min(a1, b1)
            if t0 < t1:
                spans.append((t0, t1))
    return sorted(spans)


def head_frame(xyz, listener, times):
    """World positions seen from the listener's (turning) head.

    Parameters
    ----------
    xyz : ndarray, shape (Q, 3)
        World positions in metres (listener at the origin, unturned), e.g.
        a source's ``motion.positions(times)``.
    listener : sequence of Orientation
        Keyframes (empty: facing forward).
    times : array_like, shape (Q,)
        Seconds.

    Returns
    -------
    ndarray, shape (Q, 3)
        Head-frame positions (x forward, y left, z up).
    """
    if not listener:
        return check_array("xyz", xyz, ArgumentError, shape=("Q", 3))
    return world_to_head(xyz, *orientation_at(listener, times))
