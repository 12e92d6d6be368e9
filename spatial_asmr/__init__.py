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
write_preview
    Write a scene's preview page (HTML: the audio, with its sources moving
    around the head); returns a :class:`~spatial_asmr.preview.PreviewReport`.
"""

__version__ = "0.1.0"

import lazy_loader

# Everything is imported on first use, so that ``import spatial_asmr`` (and
# the command line's --help) does not load numba, scipy and the HRTF code.
__getattr__, _, _ = lazy_loader.attach(__name__, submod_attrs={
    "errors": ["SpatialAsmrError", "SceneError", "HrtfError", "AudioFileError", "ArgumentError",
               "OutputError", "SpatialAsmrWarning", "HrtfWarning"],
    "hrtf": ["HrtfSet", "load_hrtf", "read_sofa", "write_sofa"],
    "preview": ["write_preview"],
    "renderer.pipeline": ["RenderReport", "render", "render_to_file"],
    "scene": ["Scene", "load_scene"],
})

__all__ = [
    "load_scene", "render", "render_to_file", "RenderReport", "write_preview",
    "load_hrtf", "read_sofa", "write_sofa",
    "Scene", "HrtfSet",
    "SpatialAsmrError", "SceneError", "HrtfError", "AudioFileError", "ArgumentError",
    "OutputError",
    "SpatialAsmrWarning", "HrtfWarning",
    "__version__",
]


def __dir__():
    return list(__all__)
