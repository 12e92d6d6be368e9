"""Source paths written as scene mappings, built into :mod:`spatial_asmr.motion.paths`.

A source's ``trajectory`` is either a list of keyframes (linear in azimuth,
elevation and distance) or a mapping with exactly one key naming a path
type: ``fixed``, ``keyframes``, ``orbit``, ``sweep``, ``spiral``, ``hover``,
``sequence`` or ``offset`` (see docs/trajectories.md).  Points are mappings,
``{azimuth, elevation, distance}`` or ``{x, y, z}``.

:func:`build_path` turns such a mapping into a path object; every mistake
raises :class:`PathSpecError`, whose ``problem`` holds the field path of the
bad value (a path class's own :class:`~spatial_asmr.motion.paths.PathError`
put under the mapping's path), so that the scene loader can report it with
the file and line.
"""

__all__ = ["build_path", "PathSpecError", "PATH_TYPES"]

from dataclasses import replace

from ..checks import Problem
from ..errors import SpatialAsmrError
from ..motion import paths

PATH_TYPES = ("fixed", "keyframes", "orbit", "sweep", "spiral", "hover", "sequence",
              "offset")


class PathSpecError(SpatialAsmrError, ValueError):
    """A path mapping is invalid.

    Attributes
    ----------
    problem : spatial_asmr.checks.Problem
        Its field path is the full path of the bad field (``where`` of
        :func:`build_path` and the keys and indices below it).
    path : tuple
        ``problem.path``.
    """

    def __init__(self, problem):
        super().__init__(problem.message)
        self.problem = problem
        self.path = problem.path


def _fail(where, value=None, allowed="", predicate=None):
    raise PathSpecError(Problem(tuple(where), value, allowed, predicate, show=repr))


_SPHERICAL = ("azimuth", "elevation", "distance")
_CARTESIAN = ("x", "y", "z")


def _point(value, where, coordinates=None):
    if not isinstance(value, dict):
        _fail(where, value, "a point {azimuth, elevation, distance} or {x, y, z}")
    keys = set(value) - {"time"}
    for kind, names in (("spherical", _SPHERICAL), ("cartesian", _CARTESIAN)):
        if keys == set(names) and coordinates in (None, kind):
            return tuple(value[n] for n in names), kind
    wanted = {"spherical": "{azimuth, elevation, distance}",
              "cartesian": "{x, y, z}"}.get(coordinates, "{azimuth, elevation, distance} "
                                                          "or {x, y, z}")
    _fail(where, predicate=f"has keys {', '.join(sorted(keys)) or 'none'} but must be a "
                           f"point {wanted}")


def _params(spec, where, allowed, required=()):
    if not isinstance(spec, dict):
        _fail(where, spec, "a mapping")
    for key in spec:
        if key not in allowed:
            _fail(where + (key,), predicate=f"is not a known key; allowed: "
                                            f"{', '.join(allowed)}")
    for key in required:
        if key not in spec:
            _fail(where + (key,), predicate="is missing (required)")
    return spec


def _call(cls, where, *args, **kwargs):
    try:
        return cls(*args, **kwargs)
    except paths.PathError as exc:
        problem = exc.problem
        if problem.path[:1] == ("segments",):  # a sequence's list is the mapping's value
            problem = replace(problem, path=problem.path[1:])
        raise PathSpecError(problem.within(*where)) from None


def build_path(spec, where=()):
    """Build a path object from a trajectory mapping.

    Parameters
    ----------
    spec : dict
        A mapping with one key naming the path type.
    where : tuple
        Field path of ``spec`` (for messages).

    Returns
    -------
    spatial_asmr.motion.paths.SourcePath

    Raises
    ------
    PathSpecError
    """
    if not isinstance(spec, dict) or len(spec) != 1:
        keys = ", ".join(sorted(spec)) if isinstance(spec, dict) else repr(spec)
        _fail(where, predicate=f"has {keys or 'no keys'} but must have exactly one path "
                               f"type: {', '.join(PATH_TYPES)}")
    (kind, body), = spec.items()
    here = where + (kind,)
    if kind not in PATH_TYPES:
        _fail(here, predicate=f"is not a path type; allowed: {', '.join(PATH_TYPES)}")
    return _BUILDERS[kind](body, here)


def _fixed(body, here):
    point, kind = _point(body, here)
    return _call(paths.Fixed, here, point, coordinates=kind)


def _keyframes(body, here):
    body = _params(body, here, ("points", "interpolation", "coordinates"), ("points",))
    coordinates = body.get("coordinates", "spherical")
    if coordinates not in ("spherical", "cartesian"):
        _fail(here + ("coordinates",), coordinates, "'spherical' or 'cartesian'")
    points = body["points"]
    if not isinstance(points, list) or not points:
        _fail(here + ("points",), predicate="must be a non-empty list of keyframes "
                                            "{time, ...point}")
    times, values = [], []
    for i, item in enumerate(points):
        if not isinstance(item, dict) or "time" not in item:
            _fail(here + ("points", i, "time"), predicate="is missing (required)")
        times.append(item["time"])
        values.append(_point(item, here + ("points", i), coordinates)[0])
    try:
        return paths.Keyframes(times, values, interpolation=body.get("interpolation", "linear"),
                                coordinates=coordinates)
    except paths.PathError as exc:
        problem = exc.problem
        parts = problem.path
        names = _SPHERICAL if coordinates == "spherical" else _CARTESIAN
        if parts[:1] == ("times",):  # times[i] is points[i].time in a scene
            parts = ("points", *parts[1:2], "time")
        elif parts[:1] == ("points",) and len(parts) == 3:  # points[i][j]
            parts = ("points", parts[1], names[parts[2]])
        raise PathSpecError(replace(problem, path=here + parts)) from None


def _orbit(body, here):
    body = _params(body, here, ("distance", "elevation", "period", "angular_speed",
                                "direction", "start_azimuth", "centre"), ("distance",))
    kwargs = dict(body)
    if "centre" in kwargs:
        kwargs["centre"] = _point(kwargs["centre"], here + ("centre",), "cartesian")[0]
    return _call(paths.Orbit, here, **kwargs)


def _sweep(body, here):
    body = _params(body, here, ("start", "end", "duration", "easing", "ping_pong", "repeat"),
                   ("start", "end", "duration"))
    kwargs = dict(body)
    for key in ("start", "end"):
        kwargs[key] = _point(body[key], here + (key,), "spherical")[0]
    return _call(paths.Sweep, here, **kwargs)


def _spiral(body, here):
    body = _params(body, here, ("start_distance", "end_distance", "turns", "duration",
                                "elevation_start", "elevation_end", "start_azimuth",
                                "direction"),
                   ("start_distance", "end_distance", "turns", "duration"))
    return _call(paths.Spiral, here, **body)


def _hover(body, here):
    body = _params(body, here, ("base", "radius", "speed", "seed"), ("base",))
    kwargs = dict(body)
    base = body["base"]
    if isinstance(base, dict) and len(base) == 1 and next(iter(base)) in PATH_TYPES:
        kwargs["base"] = build_path(base, here + ("base",))
    else:
        kwargs["base"] = _point(base, here + ("base",), "spherical")[0]
    return _call(paths.Hover, here, **kwargs)


def _sequence(body, here):
    if not isinstance(body, list) or not body:
        _fail(here, predicate="must be a non-empty list of paths, each optionally with a "
                              "duration")
    segments = []
    for i, item in enumerate(body):
        if not isinstance(item, dict):
            _fail(here + (i,), item, "a path mapping")
        item = dict(item)
        duration = item.pop("duration", None)
        path = build_path(item, here + (i,))
        segments.append(path if duration is None else (path, duration))
    return _call(paths.Sequence, here, segments)


def _offset(body, here):
    body = _params(body, here, ("start", "path"), ("start", "path"))
    return _call(paths.Offset, here, build_path(body["path"], here + ("path",)),
                 body["start"])


_BUILDERS = {"fixed": _fixed, "keyframes": _keyframes, "orbit": _orbit, "sweep": _sweep,
             "spiral": _spiral, "hover": _hover, "sequence": _sequence, "offset": _offset}
