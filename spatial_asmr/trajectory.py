"""Source positions over time.

A keyframe trajectory interpolates azimuth, elevation and distance linearly
in time between keyframes and holds the first/last keyframe before/after
them.  Azimuth is not wrapped: keyframes at 0 and 360 degrees make one full
counter-clockwise turn, and 0 -> -90 turns clockwise to the right ear.
"""

__all__ = ["keyframe_positions", "keyframe_arrays", "interpolate_keyframes", "static_positions",
           "orientation_at", "source_positions", "head_frame"]

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
    return interpolate_keyframes(*keyframe_arrays(keyframes), times)


def keyframe_arrays(keyframes):
    """Keyframe times (K,) and ``(azimuth, elevation, distance)`` rows (K, 3),
    for :func:`interpolate_keyframes` (build them once, evaluate often)."""
    t = _np.array([k.time for k in keyframes], dtype=float)
    values = _np.array([[k.azimuth, k.elevation, k.distance] for k in keyframes],
                       dtype=float)
    return t, values


def interpolate_keyframes(t, values, times):
    """:func:`keyframe_positions` from :func:`keyframe_arrays`."""
    times = _np.asarray(times, dtype=float)
    out = _np.empty(times.shape + (3,))
    for i in range(3):
        out[..., i] = _np.interp(times, t, values[:, i])
    return out


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
        return xyz
    from .coordinates import world_to_head

    return world_to_head(xyz, *orientation_at(listener, times))
