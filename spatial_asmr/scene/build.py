"""Building the frozen Scene from validated plain data, with the defaults filled in."""

__all__ = ["build_scene"]

from ..motion.paths import Fixed, Keyframes
from .model import Normalize, Orientation, OutputSettings, RenderSettings, Scene, SourceSpec

_POINT = ("azimuth", "elevation", "distance")


def build_scene(data, checks):
    """The Scene of valid plain `data`, with defaults for what is missing."""
    render = data.get("render") or {}
    output = data.get("output") or {}
    scene = {}
    if "sample_rate" in data:
        scene["sample_rate"] = int(data["sample_rate"])
    if data.get("duration") is not None:
        scene["duration"] = float(data["duration"])
    if checks.hrtf is not None:
        scene["hrtf"] = checks.hrtf
    settings = {}
    if "interpolation" in render:
        settings["interpolation"] = render["interpolation"]
    if "block_size" in render:
        settings["block_size"] = int(render["block_size"])
    for key in ("distance_gain", "near_field", "doppler"):
        if key in render:
            settings[key] = render[key]
    if "reference_distance" in render:
        settings["reference_distance"] = float(render["reference_distance"])
    if "hrtf_level" in render:
        settings["hrtf_level"] = render["hrtf_level"]
    if "head_radius" in render:
        settings["head_radius"] = float(render["head_radius"])
    if "engine" in render:
        settings["engine"] = render["engine"]
    if "basis_size" in render:
        size = render["basis_size"]
        settings["basis_size"] = size if size == "auto" else int(size)
    bit_depth = {}
    if "bit_depth" in output:
        depth = output["bit_depth"]
        bit_depth["bit_depth"] = depth if depth == "float" else int(depth)
    if isinstance(output.get("normalize"), dict):
        (kind, target), = output["normalize"].items()
        if isinstance(target, str):
            from ..output.targets import preset

            lufs, ceiling = preset(target)
            bit_depth["normalize"] = Normalize(kind, lufs, ceiling, target)
        else:
            bit_depth["normalize"] = Normalize(kind, float(target))

    sources = []
    for index, source in enumerate(data["sources"]):
        spec = {
            "name": source.get("name", f"source{index}"),
            "file": checks.files.get(index),
            "generator": checks.generators.get(index),
            "gain_db": float(source.get("gain_db", 0.0)),
            "channel": source.get("channel"),
            "start": float(source.get("start", 0.0)),
            "trim": tuple(float(t) for t in source["trim"]) if "trim" in source else None,
            "loop": bool(source.get("loop", False)),
            "fade_in": float(source.get("fade_in", 0.0)),
            "fade_out": float(source.get("fade_out", 0.0)),
            "reference_distance": (float(source["reference_distance"])
                                   if "reference_distance" in source else None),
        }
        # one motion object, whatever form the scene gave it in
        if "position" in source:
            spec["motion"] = Fixed(tuple(float(source["position"][key]) for key in _POINT))
        elif isinstance(source["trajectory"], dict):
            spec["motion"] = checks.paths[index]
            spec["path_spec"] = source["trajectory"]
        else:
            keyframes = source["trajectory"]
            spec["motion"] = Keyframes([float(key["time"]) for key in keyframes],
                                       [tuple(float(key[name]) for name in _POINT)
                                        for key in keyframes])
        sources.append(SourceSpec(**spec))
    listener = data.get("listener") or {}
    scene["listener"] = tuple(
        Orientation(time=float(key["time"]), yaw=float(key.get("yaw", 0.0)),
                    pitch=float(key.get("pitch", 0.0)), roll=float(key.get("roll", 0.0)))
        for key in listener.get("orientation") or ())
    return Scene(sources=tuple(sources), render=RenderSettings(**settings),
                 output=OutputSettings(**bit_depth), **scene)
