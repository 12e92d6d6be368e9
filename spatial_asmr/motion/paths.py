"""Source paths: where a moving source is at any time.

Every path is an object built from plain numbers and tuples and checked when
it is built; a bad parameter raises :class:`PathError` (an
:class:`~spatial_asmr.errors.ArgumentError`), whose ``problem`` names the
parameter's field path, the value and what it must be.
:meth:`SourcePath.positions` evaluates it, vectorised, at any number of
times (seconds) and returns cartesian head-frame positions in metres (x
forward, y left, z up; see :mod:`spatial_asmr.motion.coordinates`).
Points given in spherical coordinates are ``(azimuth, elevation, distance)``
in degrees, degrees and metres, SOFA convention (azimuth counter-clockwise
from straight ahead, 90 = left ear; elevation up positive).

Paths
-----
Fixed
    One point, forever.
Keyframes
    Positions at given times, linear or Catmull-Rom spline in between.
Orbit
    A circle around a vertical axis at fixed elevation, forever.
Sweep
    From one point to another with easing, optionally back and forth and
    repeated.
Spiral
    Turns round the head while the distance changes log-linearly.
Hover
    Small smooth seeded wander around another path or a point.
Sequence
    Paths played one after another.
Offset
    A path that starts later.

``duration`` is the length of the path's scripted motion in seconds, or
None where it has no end (Orbit, Fixed, repeated Sweep).  After its
duration a path holds its last position (Hover keeps hovering around it).
Before time 0 a path holds its starting position, except Orbit and Hover,
whose closed forms run backwards as well.

Paths do not keep away from the head: a cartesian path, an orbit with an
offset centre or a hover can pass through the head centre.  The renderer
clamps the distance smoothly (:func:`spatial_asmr.hrtf.spatializer.effective_distance`).
``max_distance`` is an upper bound of the distance from the head centre over
all times, for sizing delay lines.
"""
__all__ = ["SourcePath", "Fixed", "Keyframes", "Orbit", "Sweep", "Spiral", "Hover",
           "Sequence", "Offset", "PathError", "to_spherical"]

from .base import PathError, SourcePath, to_spherical
from .combined import Offset, Sequence
from .figures import Hover, Orbit, Spiral, Sweep
from .points import Fixed, Keyframes
