"""HRTF sets: SOFA reading and writing, preprocessing and lookup, the rigid-sphere model,
and the near-field spatializer.
"""

from .sets import BUNDLED, HrtfSet, bundled_hrtf_path, load_hrtf
from .sofa import SofaData, read_sofa, write_sofa

__all__ = ["BUNDLED", "HrtfSet", "bundled_hrtf_path", "load_hrtf", "SofaData", "read_sofa",
           "write_sofa"]
