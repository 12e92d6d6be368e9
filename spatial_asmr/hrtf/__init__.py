"""HRTF sets: SOFA reading and writing, preprocessing and lookup, the rigid-sphere model,
and the near-field spatializer.

The renderer's only HRTF query is :class:`~spatial_asmr.hrtf.spatializer.Spatializer`,
built on the public attributes of :class:`HrtfSet`; ``HrtfSet.lookup`` and
``HrtfSet.interpolate`` serve analysis, plots and tests.
"""

from .sets import BUNDLED, HrtfSet, bundled_hrtf_path, load_hrtf
from .sofa import SofaData, read_sofa, write_sofa

__all__ = ["BUNDLED", "HrtfSet", "bundled_hrtf_path", "load_hrtf", "SofaData", "read_sofa",
           "write_sofa"]
