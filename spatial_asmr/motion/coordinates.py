"""Coordinate conversions in the SOFA/AES69 head frame.

Cartesian head frame: x forward, y left, z up, metres.  Spherical: azimuth in
degrees counter-clockwise from straight ahead (90 = left), elevation in
degrees (up positive), distance in metres from the centre of the head.
"""

__all__ = ["sph2cart", "cart2sph", "unit_vectors", "head_rotation", "world_to_head"]

import numpy as np

from ..checks import check_array, check_broadcast
from ..errors import ArgumentError


def _angles(names, values):
    """Finite arrays in degrees (or metres), broadcast together."""
    arrays = [check_array(name, value, ArgumentError)
              for name, value in zip(names, values, strict=True)]
    return check_broadcast(names, arrays, ArgumentError)


def sph2cart(azimuth, elevation, distance=1.0):
    """Convert spherical head coordinates to cartesian ones.

    Parameters
    ----------
    azimuth, elevation : array_like
        Degrees, SOFA convention.
    distance : array_like, optional
        Metres.

    Returns
    -------
    xyz : ndarray, shape (..., 3)
        Metres; x forward, y left, z up.
    """
    az, el, r = _angles(("azimuth", "elevation", "distance"), (azimuth, elevation, distance))
    az, el = np.radians(az), np.radians(el)
    out = np.empty(az.shape + (3,))
    r_cos_el = r * np.cos(el)
    np.multiply(r_cos_el, np.cos(az), out=out[..., 0])
    np.multiply(r_cos_el, np.sin(az), out=out[..., 1])
    np.multiply(r, np.sin(el), out=out[..., 2])
    return out


def cart2sph(xyz):
    """Convert cartesian head coordinates to spherical ones.

    Parameters
    ----------
    xyz : array_like, shape (..., 3)
        Metres; x forward, y left, z up.

    Returns
    -------
    sph : ndarray, shape (..., 3)
        Azimuth in [0, 360) degrees, elevation in [-90, 90] degrees,
        distance in metres.
    """
    xyz = check_array("xyz", xyz, ArgumentError)
    if xyz.ndim < 1 or xyz.shape[-1] != 3:
        raise ArgumentError(f"xyz has shape {xyz.shape} but must be (..., 3)")
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    r = np.sqrt(x * x + y * y + z * z)
    az = np.degrees(np.arctan2(y, x)) % 360.0
    el = np.degrees(np.arctan2(z, np.hypot(x, y)))
    return np.stack([az, el, r], axis=-1)


def unit_vectors(azimuth, elevation):
    """Unit direction vectors for azimuth/elevation in degrees, shape (..., 3)."""
    return sph2cart(azimuth, elevation, 1.0)


def head_rotation(yaw, pitch, roll):
    """Rotation matrices of a head orientation (world <- head).

    The head is turned by ``yaw`` degrees counter-clockwise about z, then
    tilted nose-up by ``pitch`` (about its y axis) and rolled by ``roll``
    (about its x axis, positive raises the left ear):
    ``R = Rz(yaw) Ry(-pitch) Rx(roll)``.

    Parameters
    ----------
    yaw, pitch, roll : array_like, shape (Q,)
        Degrees.

    Returns
    -------
    R : ndarray, shape (Q, 3, 3)
        Columns are the head's x (forward), y (left), z (up) axes in world
        coordinates.
    """
    y, p, r = (np.radians(np.atleast_1d(v))
               for v in _angles(("yaw", "pitch", "roll"), (yaw, pitch, roll)))
    cy, sy, cp, sp, cr, sr = np.cos(y), np.sin(y), np.cos(p), np.sin(p), np.cos(r), np.sin(r)
    zero, one = np.zeros_like(y), np.ones_like(y)
    rz = np.stack([np.stack([cy, -sy, zero], -1), np.stack([sy, cy, zero], -1),
                   np.stack([zero, zero, one], -1)], -2)
    # nose up: forward (x) turns towards up (z), a negative turn about y
    ry = np.stack([np.stack([cp, zero, -sp], -1), np.stack([zero, one, zero], -1),
                   np.stack([sp, zero, cp], -1)], -2)
    rx = np.stack([np.stack([one, zero, zero], -1), np.stack([zero, cr, -sr], -1),
                   np.stack([zero, sr, cr], -1)], -2)
    return rz @ ry @ rx


def world_to_head(xyz, yaw, pitch, roll):
    """Positions in the world frame seen from a turned head.

    Parameters
    ----------
    xyz : array_like, shape (Q, 3)
        World positions (metres), listener at the origin.
    yaw, pitch, roll : array_like, shape (Q,)
        Head orientation in degrees (see :func:`head_rotation`).

    Returns
    -------
    ndarray, shape (Q, 3)
        Positions in the head frame (x forward, y left, z up).
    """
    xyz = check_array("xyz", xyz, ArgumentError, shape=("Q", 3))
    rotation = head_rotation(yaw, pitch, roll)
    if rotation.shape[:-2] not in ((1,), (len(xyz),)):
        raise ArgumentError(f"yaw, pitch and roll have shape {rotation.shape[:-2]} but must "
                            f"be (1,) or one value per position, ({len(xyz)},)")
    return np.einsum("qji,qj->qi", np.broadcast_to(rotation, (len(xyz), 3, 3)), xyz)
