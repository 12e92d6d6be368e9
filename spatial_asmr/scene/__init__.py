"""Scene files: the model, the schema, YAML reading with a line map, validation and building."""

from .load import (
    BUNDLED_HRTFS,
    Keyframe,
    Orientation,
    OutputSettings,
    RenderSettings,
    Scene,
    SourceSpec,
    load_scene,
    parse_scene,
)

__all__ = ["BUNDLED_HRTFS", "Keyframe", "Orientation", "OutputSettings", "RenderSettings",
           "Scene", "SourceSpec", "load_scene", "parse_scene"]
