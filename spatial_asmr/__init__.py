"""spatial-asmr: binaural 3D spatial audio for ASMR.

Public API
----------
load_scene
    Read and validate a YAML scene file.
render
    Render a scene to binaural audio in memory, ``(audio (n, 2), sample_rate)``:
    what the file would hold (``master=False``: the raw mix).
render_to_file
    Render, normalise, limit, dither and write a scene atomically; returns
    a :class:`RenderReport`.
load_hrtf
    Load and preprocess an HRTF set (bundled name or SOFA path).
read_sofa, write_sofa
    SOFA (SimpleFreeFieldHRIR) input and output.
"""

__version__ = "0.1.0"

from .errors import (
                     ArgumentError,
                     AudioFileError,
                     HrtfError,
                     HrtfWarning,
                     OutputError,
                     SceneError,
                     SpatialAsmrError,
                     SpatialAsmrWarning,
)
from .hrtf import HrtfSet, load_hrtf, read_sofa, write_sofa
from .renderer.pipeline import RenderReport, render, render_to_file
from .scene import Scene, load_scene

__all__ = [
    "load_scene", "render", "render_to_file", "RenderReport",
    "load_hrtf", "read_sofa", "write_sofa",
    "Scene", "HrtfSet",
    "SpatialAsmrError", "SceneError", "HrtfError", "AudioFileError", "ArgumentError",
    "OutputError",
    "SpatialAsmrWarning", "HrtfWarning",
    "__version__",
]
