"""Source positions over time.

A keyframe trajectory interpolates azimuth, elevation and distance linearly
in time between keyframes and holds the first/last keyframe before/after
them.  Azimuth is not wrapped: keyframes at 0 and 360 degrees make one full
counter-clockwise turn, and 0 -> -90 turns clockwise to the right ear.
"""

__all__ = ["keyframe_positions", "keyframe_arrays", "interpolate_keyframes", "static_positions",
           "orientation_at", "source_positions", "head_frame"]

import numpy as np

from ..checks import check_array, check_number, check_values, show
from ..errors import ArgumentError

_POSITION = ("azimuth", "elevation", "distance")
_ORIENTATION = ("yaw", "pitch", "roll")


def keyframe_positions(keyframes, times):
    """Evaluate a keyframe trajectory.

    Parameters
    ----------
    keyframes : sequence
        Objects with ``time``, ``azimuth``, ``elevation``, ``distance``;
        times strictly increasing.
    times : array_like, shape (Q,)
        Seconds.

    Returns
    -------
    positions : ndarray, shape (Q, 3)
        Azimuth (degrees, unwrapped), elevation (degrees), distance (m).
    """
    return interpolate_keyframes(*keyframe_arrays(keyframes), times)


def keyframe_arrays(keyframes):
    """Keyframe times (K,) and ``(azimuth, elevation, distance)`` rows (K, 3),
    for :func:`interpolate_keyframes` (build them once, evaluate often)."""
    t, values = _table("keyframes", keyframes, _POSITION)
    if not len(t):
        raise ArgumentError("keyframes is empty but must hold at least one keyframe")
    _check_distances(values[:, 2], lambda i: f"keyframes[{i}].distance")
    return t, values


def _table(name, keyframes, fields):
    """Times (K,) and ``fields`` (K, F) of keyframe objects, all finite."""
    try:
        items = list(keyframes)
    except TypeError:
        raise ArgumentError(f"{name} is {show(keyframes)} but must be a sequence of "
                          "keyframes") from None
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
    _check_times(table[:, 0], lambda i: f"{name}[{i}].time")
    return table[:, 0], table[:, 1:]


def _check_times(t, label):
    """Keyframe times must increase strictly (np.interp needs them sorted);
    ``label(i)`` names the i-th in the message."""
    step = np.flatnonzero(np.diff(t) <= 0)
    if len(step):
        i = int(step[0]) + 1
        raise ArgumentError(f"{label(i)} is {show(t[i])} but must be > {label(i - 1)} "
                          f"({show(t[i - 1])})")


def _check_distances(distance, label):
    """Distances must be > 0; ``label(i)`` names the i-th in the message."""
    check_values(lambda index: label(index[0]), distance, ArgumentError, "> 0 m",
                  lambda d: d > 0)


def interpolate_keyframes(t, values, times):
    """:func:`keyframe_positions` from :func:`keyframe_arrays`.

    Parameters
    ----------
    t : array_like, shape (K,)
        Keyframe times in seconds, strictly increasing, ``K >= 1``.
    values : array_like, shape (K, 3)
        Azimuth, elevation (degrees) and distance (metres, > 0) per keyframe.
    times : array_like, shape (Q,)
        Seconds.

    Returns
    -------
    positions : ndarray, shape (Q, 3)
    """
    t = check_array("t", t, ArgumentError, shape=("K",))
    values = check_array("values", values, ArgumentError, shape=(len(t), 3))
    if not len(t):
        raise ArgumentError("t is empty but must hold at least one keyframe time")
    _check_times(t, lambda i: f"t[{i}]")
    _check_distances(values[:, 2], lambda i: f"values[{i}, 2]")
    times = check_array("times", times, ArgumentError)
    out = np.empty(times.shape + (3,))
    for i in range(3):
        out[..., i] = np.interp(times, t, values[:, i])
    return out


def static_positions(position, times):
    """A fixed ``(azimuth, elevation, distance)`` repeated for every time."""
    position = check_array("position", position, ArgumentError, shape=(3,))
    _check_distances(position[2:], lambda i: "position[2]")
    times = check_array("times", times, ArgumentError)
    return np.broadcast_to(position, times.shape + (3,)).copy()


def orientation_at(keyframes, times):
    """Listener orientation at the given times.

    Parameters
    ----------
    keyframes : sequence
        Objects with ``time``, ``yaw``, ``pitch``, ``roll``; times strictly
        increasing.  Empty means facing forward.
    times : array_like, shape (Q,)

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


def source_positions(spec, times):
    """World positions of a scene source (listener at the origin, unturned).

    Parameters
    ----------
    spec : SourceSpec
        With ``path``, ``position`` or ``trajectory`` (keyframes).
    times : array_like, shape (Q,)

    Returns
    -------
    xyz : ndarray, shape (Q, 3)
        Metres, x forward, y left, z up.
    """
    from .coordinates import sph2cart

    if not all(hasattr(spec, key) for key in ("path", "position", "trajectory")):
        raise ArgumentError(f"spec is {show(spec)} but must be a SourceSpec (with path, "
                          "position and trajectory)")
    if spec.path is not None:
        return spec.path.positions(times)
    if spec.position is not None:
        sph = static_positions(spec.position, times)
    else:
        sph = keyframe_positions(spec.trajectory, times)
    return sph2cart(sph[:, 0], sph[:, 1], sph[:, 2])


def head_frame(xyz, listener, times):
    """World positions seen from the listener's (turning) head.

    Parameters
    ----------
    xyz : ndarray, shape (Q, 3)
    listener : sequence of Orientation
        Keyframes (empty: facing forward).
    times : array_like, shape (Q,)

    Returns
    -------
    ndarray, shape (Q, 3)
    """
    if not listener:
        return check_array("xyz", xyz, ArgumentError, shape=("Q", 3))
    from .coordinates import world_to_head

    return world_to_head(xyz, *orientation_at(listener, times))
