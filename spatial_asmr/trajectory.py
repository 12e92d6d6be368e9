"""Source positions over time.

A keyframe trajectory interpolates azimuth, elevation and distance linearly
in time between keyframes and holds the first/last keyframe before/after
them.  Azimuth is not wrapped: keyframes at 0 and 360 degrees make one full
counter-clockwise turn, and 0 -> -90 turns clockwise to the right ear.
"""

__all__ = ["keyframe_positions", "static_positions", "orientation_at"]

import numpy as _np


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
    t = _np.array([k.time for k in keyframes], dtype=float)
    values = _np.array([[k.azimuth, k.elevation, k.distance] for k in keyframes],
                       dtype=float)
    times = _np.asarray(times, dtype=float)
    return _np.stack([_np.interp(times, t, values[:, i]) for i in range(3)], axis=-1)


def static_positions(position, times):
    """A fixed ``(azimuth, elevation, distance)`` repeated for every time."""
    times = _np.asarray(times, dtype=float)
    return _np.broadcast_to(_np.asarray(position, dtype=float), times.shape + (3,)).copy()


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
    times = _np.asarray(times, dtype=float)
    if not keyframes:
        zero = _np.zeros_like(times)
        return zero, zero, zero
    t = [k.time for k in keyframes]
    return tuple(_np.interp(times, t, [getattr(k, a) for k in keyframes])
                 for a in ("yaw", "pitch", "roll"))
