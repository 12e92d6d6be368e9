"""Coordinate conversions in the SOFA/AES69 head frame.

Cartesian head frame: x forward, y left, z up, metres.  Spherical: azimuth in
degrees counter-clockwise from straight ahead (90 = left), elevation in
degrees (up positive), distance in metres from the centre of the head.
"""

__all__ = ["sph2cart", "cart2sph", "unit_vectors"]

import numpy as np


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
    az = np.radians(np.asarray(azimuth, dtype=float))
    el = np.radians(np.asarray(elevation, dtype=float))
    r = np.asarray(distance, dtype=float)
    cos_el = np.cos(el)
    return np.stack(np.broadcast_arrays(r * cos_el * np.cos(az),
                                        r * cos_el * np.sin(az),
                                        r * np.sin(el)), axis=-1)


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
    xyz = np.asarray(xyz, dtype=float)
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    r = np.sqrt(x * x + y * y + z * z)
    az = np.degrees(np.arctan2(y, x)) % 360.0
    el = np.degrees(np.arctan2(z, np.hypot(x, y)))
    return np.stack([az, el, r], axis=-1)


def unit_vectors(azimuth, elevation):
    """Unit direction vectors for azimuth/elevation in degrees, shape (..., 3)."""
    return sph2cart(azimuth, elevation, 1.0)
