"""A scene written back out with every default filled in.

:func:`resolved_scene` turns a :class:`~spatial_asmr.scene.Scene` into the
plain mapping of a scene file (JSON-ready) in which nothing is left to a
default: every render and output setting, every generator parameter and
seed, absolute file paths, the duration.  :func:`scene_from_mapping` reads
such a mapping (or any scene mapping built in Python) through the same
validator as a scene file, so the two are interchangeable: a resolved
scene renders to the same bytes as the scene it came from.
"""

__all__ = ["resolved_scene", "scene_from_mapping"]

import json
from pathlib import Path

from ..errors import SceneError


def _point(position):
    azimuth, elevation, distance = position
    return {"azimuth": azimuth, "elevation": elevation, "distance": distance}


def _source(spec):
    from ..generators import GENERATORS

    out = {"name": spec.name}
    if spec.generator is not None:
        name, seed, duration, params = spec.generator
        generator = {"type": name, "seed": int(seed)}
        if duration is not None:
            generator["duration"] = float(duration)
        generator.update(GENERATORS[name].defaults())
        generator.update(params)
        out["generator"] = generator
    else:
        out["file"] = str(spec.file)
        if spec.channel is not None:
            out["channel"] = int(spec.channel)
        if spec.trim is not None:
            out["trim"] = [float(t) for t in spec.trim]
    out.update(gain_db=spec.gain_db, start=spec.start, loop=spec.loop,
               fade_in=spec.fade_in, fade_out=spec.fade_out)
    if spec.reference_distance is not None:
        out["reference_distance"] = spec.reference_distance
    if spec.path_spec is not None:  # the mapping the motion was built from
        out["trajectory"] = spec.path_spec
    elif spec.position is not None:
        out["position"] = _point(spec.position)
    elif spec.trajectory is not None:
        out["trajectory"] = [{"time": k.time, **_point((k.azimuth, k.elevation, k.distance))}
                             for k in spec.trajectory]
    else:
        raise SceneError(f"source {spec.name!r} has a path object built in Python, which "
                         "cannot be written out; build the scene from a mapping "
                         "(spatial_asmr.scene.resolved.scene_from_mapping) instead")
    return out


def resolved_scene(scene, duration=None, bit_depth=None):
    """The scene as a scene-file mapping with every default filled in.

    Parameters
    ----------
    scene : Scene
    duration : float, optional
        The rendered length in seconds, for a scene without a duration.
    bit_depth : {16, 24, 'float'}, optional
        The bit depth actually written, if it overrides the scene's.

    Returns
    -------
    dict
        Plain values only (JSON-ready); :func:`scene_from_mapping` reads it.
    """
    render = scene.render
    normalize = scene.output.normalize
    depth = bit_depth if bit_depth is not None else scene.output.bit_depth
    if depth in ("16", "24"):
        depth = int(depth)
    out = {
        "sample_rate": int(scene.sample_rate),
        "duration": scene.duration if scene.duration is not None else duration,
        "hrtf": str(scene.hrtf),
        "render": {"interpolation": render.interpolation, "block_size": render.block_size,
                   "distance_gain": render.distance_gain,
                   "reference_distance": render.reference_distance,
                   "hrtf_level": render.hrtf_level, "near_field": render.near_field,
                   "head_radius": render.head_radius, "doppler": render.doppler,
                   "engine": render.engine, "basis_size": render.basis_size},
        "output": {"bit_depth": depth,
                   "normalize": "none" if normalize is None else
                   {normalize.kind: normalize.preset or normalize.target}},
        "sources": [_source(spec) for spec in scene.sources],
    }
    if out["duration"] is None:
        del out["duration"]
    if scene.listener:
        out["listener"] = {"orientation": [
            {"time": k.time, "yaw": k.yaw, "pitch": k.pitch, "roll": k.roll}
            for k in scene.listener]}
    return out


def scene_from_mapping(data, name="<scene>", base_dir="."):
    """Validate a scene given as a mapping (as a scene file would hold it).

    Parameters
    ----------
    data : dict
        The scene, e.g. built in Python or read from a sidecar.
    name : str
        How to name the scene in error messages.
    base_dir : str or pathlib.Path
        Folder that relative file paths are relative to.

    Returns
    -------
    Scene

    Raises
    ------
    SceneError
        Every problem, as for a scene file (lines refer to the mapping
        written as JSON, one key per line).
    """
    from .load import parse_scene

    try:
        text = json.dumps(data, indent=1, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise SceneError(f"{name}: the scene is not plain data ({exc})") from None
    return parse_scene(text, name, Path(base_dir))
