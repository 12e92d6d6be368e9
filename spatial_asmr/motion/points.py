"""Paths through given points: ``Fixed`` (one point) and ``Keyframes`` (positions at times)."""

__all__ = ['Fixed', 'Keyframes']


import numpy as np

from .base import (
    SourcePath,
    _array,
    _choice,
    _error,
    _non_negative,
    _real,
    _said,
    _spherical_point,
    _triple,
    held_spans,
)
from .coordinates import sph2cart


class Fixed(SourcePath):
    """A source that does not move.

    Parameters
    ----------
    point : tuple of float, shape (3,)
        ``(azimuth deg, elevation deg, distance m)``, or ``(x, y, z)`` metres
        with ``coordinates="cartesian"``.
    coordinates : {"spherical", "cartesian"}, optional
        How ``point`` is given.

    Notes
    -----
    ``duration`` is None: in a :class:`Sequence` give it as ``(Fixed(...), seconds)``.
    """

    def __init__(self, point, coordinates="spherical"):
        coordinates = _choice("coordinates", coordinates, ("spherical", "cartesian"))
        if coordinates == "spherical":
            point = _spherical_point("point", point)
            self._xyz = sph2cart(*point)
        else:
            point = _triple("point", point)
            self._xyz = point
        self._params = {"point": tuple(point.tolist()), "coordinates": coordinates}
        self._max_distance = float(np.linalg.norm(self._xyz))

    @property
    def point(self):
        """tuple of float : The point as given (see ``coordinates``)."""
        return self._params["point"]

    @property
    def coordinates(self):
        """str : ``"spherical"`` or ``"cartesian"``."""
        return self._params["coordinates"]

    @property
    def fixed(self):
        """bool : True."""
        return True

    def still_intervals(self):
        """Always: ``[(-inf, inf)]`` (see :meth:`SourcePath.still_intervals`)."""
        return [(-np.inf, np.inf)]

    def distance_range(self, seconds, start=0.0):
        """The distance, twice: ``(d, d)`` (see :meth:`SourcePath.distance_range`)."""
        if self.coordinates == "spherical":
            return self.point[2], self.point[2]
        return self._max_distance, self._max_distance

    def _evaluate(self, t):
        return np.broadcast_to(self._xyz, (len(t), 3)).copy()


# --- keyframes --------------------------------------------------------------

def _cubic_range(coefficients):
    """Exact minimum and maximum over s in [0, 1] of cubics.

    Parameters
    ----------
    coefficients : ndarray, shape (S, 4)
        ``a, b, c, d`` of ``a s^3 + b s^2 + c s + d``, one cubic per row.

    Returns
    -------
    low, high : ndarray, shape (S,)
    """
    a, b, c, d = coefficients.T
    # Stationary points solve 3a s^2 + 2b s + c = 0.  The cancellation-free
    # form q = -(B + sign(B) sqrt(disc)) / 2, roots q / A and C / q, also gives
    # the single root -C / B when A = 0 (the other root is then infinite).
    qa, qb = 3.0 * a, 2.0 * b
    disc = qb * qb - 4.0 * qa * c
    with np.errstate(divide="ignore", invalid="ignore"):
        q = -0.5 * (qb + np.copysign(np.sqrt(np.maximum(disc, 0.0)), qb))
        roots = np.stack([np.zeros_like(a), np.ones_like(a), q / qa, c / q], axis=-1)
    real = np.stack([np.ones_like(a, dtype=bool)] * 2 + [disc >= 0] * 2, axis=-1)
    usable = real & np.isfinite(roots) & (roots >= 0) & (roots <= 1)
    s = np.where(usable, roots, 0.0)
    values = ((a[:, None] * s + b[:, None]) * s + c[:, None]) * s + d[:, None]
    return values.min(axis=-1), values.max(axis=-1)


class Keyframes(SourcePath):
    """Positions at given times, interpolated in between.

    Parameters
    ----------
    times : array_like, shape (K,)
        Seconds, >= 0, strictly increasing, K >= 1.
    points : array_like, shape (K, 3)
        ``(azimuth deg, elevation deg, distance m)`` per keyframe, or
        ``(x, y, z)`` metres with ``coordinates="cartesian"``.
    interpolation : {"linear", "spline"}, optional
        ``"linear"``: each coordinate linearly in time.  ``"spline"``:
        Catmull-Rom in time (see Notes).
    coordinates : {"spherical", "cartesian"}, optional
        The space the points are given and interpolated in.  Spherical
        azimuth is not wrapped: 0 -> 360 is a full counter-clockwise turn,
        0 -> -90 a quarter turn clockwise to the right ear.

    Raises
    ------
    PathError
        If a parameter is out of range, or a spherical spline's distance
        would reach 0 between keyframes.

    Notes
    -----
    Before the first and after the last keyframe the path holds that
    keyframe; ``duration`` is the last keyframe's time.

    The spline is a cubic Hermite curve per interval whose velocity at
    keyframe k is the central difference ``(P[k+1] - P[k-1]) / (t[k+1] -
    t[k-1])``.  With evenly spaced keyframes this is exactly the uniform
    Catmull-Rom spline; with uneven spacing it is its generalisation in
    time, so the velocity stays continuous in seconds (C1).  Centripetal
    Catmull-Rom reparametrises by the spacing of the points, which would
    move the source off its keyframe times, so it is not used.  The ends
    are handled as by duplicating the end points (phantom keyframe
    ``P[-1] = P[0]`` one interval before the first): the velocity at the
    first keyframe is half the first interval's mean velocity, likewise at
    the last, and it drops to zero where the hold starts.  Like every
    Catmull-Rom spline it can overshoot between keyframes.
    """

    def __init__(self, times, points, interpolation="linear", coordinates="spherical"):
        self._interpolation = _choice("interpolation", interpolation, ("linear", "spline"))
        self._coordinates = _choice("coordinates", coordinates, ("spherical", "cartesian"))
        t = _array("times", times, "a sequence of finite numbers")
        if t.ndim != 1 or len(t) == 0:
            raise _error("times", times, "a non-empty sequence of finite numbers")
        for k, value in enumerate(t):
            _real(("times", k), value)
        _non_negative(("times", 0), t[0])
        for k in range(1, len(t)):
            if t[k] <= t[k - 1]:
                raise _error(("times", k), float(t[k]), f"> times[{k - 1}] = {float(t[k - 1])!r}")
        p = _array("points", points, f"a ({len(t)}, 3) array of finite numbers")
        if p.shape != (len(t), 3):
            raise _said("points", f"has shape {p.shape} but must have ({len(t)}, 3): "
                                  f"one point per time")
        check = _spherical_point if self._coordinates == "spherical" else _triple
        for k, point in enumerate(p):
            check(("points", k), tuple(point.tolist()))
        self._times, self._values = t, p
        self._params = {"times": t.tolist(), "points": p.tolist(),
                        "interpolation": self._interpolation, "coordinates": self._coordinates}
        self._duration = float(t[-1])
        self._coefficients = None
        if self._interpolation == "spline" and len(t) > 1:
            self._coefficients = self._hermite(t, p)
            self._rows = np.ascontiguousarray(np.moveaxis(self._coefficients, 0, 1))
        self._max_distance = self._bound()

    @property
    def times(self):
        """tuple of float : Keyframe times in seconds."""
        return tuple(self._params["times"])

    @property
    def points(self):
        """tuple of tuple of float : One point per time (see ``coordinates``)."""
        return tuple(tuple(point) for point in self._params["points"])

    @property
    def interpolation(self):
        """str : ``"linear"`` or ``"spline"``."""
        return self._interpolation

    @property
    def coordinates(self):
        """str : ``"spherical"`` or ``"cartesian"``."""
        return self._coordinates

    def distance_range(self, seconds, start=0.0):
        """Exact for linear spherical keyframes, whose distance is linear between
        keyframes; else sampled (see :meth:`SourcePath.distance_range`)."""
        if self._coefficients is None and self._coordinates == "spherical":
            distance = self._values[:, 2]
            return float(distance.min()), float(distance.max())
        return super().distance_range(seconds, start)

    @staticmethod
    def _hermite(t, p):
        """Power-basis coefficients a, b, c, d, shape (4, K - 1, 3), in s = (t - t[k]) / h[k]."""
        h = np.diff(t)
        # Phantom keyframes P[-1] = P[0] at t[0] - h[0] and P[K] = P[K-1] at
        # t[K-1] + h[K-2]: the duplicated end points of uniform Catmull-Rom.
        tp = np.concatenate([[t[0] - h[0]], t, [t[-1] + h[-1]]])
        pp = np.concatenate([p[:1], p, p[-1:]])
        velocity = (pp[2:] - pp[:-2]) / (tp[2:] - tp[:-2])[:, None]
        p0, p1 = p[:-1], p[1:]
        m0, m1 = velocity[:-1] * h[:, None], velocity[1:] * h[:, None]
        # Hermite basis (2s^3 - 3s^2 + 1, s^3 - 2s^2 + s, -2s^3 + 3s^2, s^3 - s^2)
        # collected by powers of s.
        return np.stack([2 * p0 + m0 - 2 * p1 + m1,
                          -3 * p0 - 2 * m0 + 3 * p1 - m1,
                          m0,
                          p0])

    def _bound(self):
        spherical = self._coordinates == "spherical"
        if self._coefficients is None:
            if spherical:
                return float(self._values[:, 2].max())
            return float(np.linalg.norm(self._values, axis=-1).max())
        if spherical:
            low, high = _cubic_range(self._coefficients[:, :, 2].T)
            k = int(np.argmin(low))
            if low[k] <= 0:
                raise _said("points", f"gives a spline distance of {float(low[k]):.6g} m "
                                      f"between times[{k}] and times[{k + 1}] but must stay "
                                      f"> 0; add keyframes there or use "
                                      f"interpolation='linear'")
            return float(high.max())
        # Each interval is a Bezier curve with control points P0, P0 + m0 / 3,
        # P1 - m1 / 3, P1 and lies in their convex hull.
        a, b, c, d = self._coefficients
        control = np.concatenate([d, d + c / 3, d + 2 * c / 3 + b / 3, a + b + c + d])
        return float(np.linalg.norm(control, axis=-1).max())

    def still_intervals(self):
        """Before the first and after the last keyframe, and, with linear
        interpolation, between equal neighbouring keyframes (see
        :meth:`SourcePath.still_intervals`)."""
        return held_spans(self._times, self._values, between=self._coefficients is None)

    def _evaluate(self, t):
        kt = self._times
        if self._coefficients is None:
            values = np.stack([np.interp(t, kt, self._values[:, i]) for i in range(3)],
                               axis=-1)
        else:
            k = np.clip(np.searchsorted(kt, t, side="right") - 1, 0, len(kt) - 2)
            s = np.clip((t - kt[k]) / (kt[k + 1] - kt[k]), 0.0, 1.0)
            powers = np.stack([s * s * s, s * s, s, np.ones_like(s)], axis=-1)
            values = np.einsum("qj,qjk->qk", powers, self._rows[k])
        if self._coordinates == "spherical":
            return sph2cart(values[:, 0], values[:, 1], values[:, 2])
        return values
