"""Scene files: the model, the schema, YAML reading with a line map, validation and building.

A scene file is YAML; its structure is defined once, by the JSON Schema
:data:`spatial_asmr.scene.schema.SCENE_SCHEMA`.  :func:`load_scene` reads a
file (:mod:`.document` keeps the line of every value), checks it against that
schema (:mod:`.validate`) and then against the rules a schema cannot express
(:mod:`.rules`), and raises one :class:`~spatial_asmr.errors.SceneError`
listing every problem, each with the line it was found on::

    brush.yaml:14: sources[1].trajectory[0].distance is -0.3 but must be > 0

A valid file gives a frozen :class:`Scene` (:mod:`.model`, built by
:mod:`.build`) of plain Python values with the defaults filled in and all
paths absolute.
"""

from .load import load_scene, parse_scene
from .model import (
    BUNDLED_HRTFS,
    Keyframe,
    Normalize,
    Orientation,
    OutputSettings,
    RenderSettings,
    Scene,
    SourceSpec,
)

__all__ = ["BUNDLED_HRTFS", "Keyframe", "Normalize", "Orientation", "OutputSettings",
           "RenderSettings", "Scene", "SourceSpec", "load_scene", "parse_scene"]
