"""HRTF sets: SOFA reading and writing, preprocessing and lookup, the rigid-sphere model,
and the near-field spatializer.

The renderer's only HRTF query is :class:`~spatial_asmr.hrtf.spatializer.Spatializer`,
built on the public attributes of :class:`HrtfSet`; ``HrtfSet.lookup`` and
``HrtfSet.interpolate`` serve analysis, plots and tests.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "bundled": ["BUNDLED", "bundled_hrtf_path"],
    "sets": ["HrtfSet", "load_hrtf"],
    "sofa": ["SofaData", "read_sofa", "write_sofa"],
})
