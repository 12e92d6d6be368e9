"""The HRTF sets shipped with spatial-asmr and the names a scene may give.

Light on purpose (no numpy): the scene loader checks ``hrtf:`` against
:data:`NAMES` without loading the HRTF code.
"""

__all__ = ["BUNDLED", "ANALYTIC", "NAMES", "bundled_hrtf_path"]

from pathlib import Path

from ..errors import HrtfError


def _hrtf_dir():
    # In a source checkout the data sit in the top-level hrtf/ folder; an
    # installed package carries them as spatial_asmr/_bundled.
    package = Path(__file__).resolve().parent.parent  # spatial_asmr/
    for candidate in (package.parent / "hrtf", package / "_bundled"):
        if (candidate / "manifest.json").is_file():
            return candidate
    return package.parent / "hrtf"


BUNDLED = {"kemar": "MIT_KEMAR_normal_pinna.sofa"}
ANALYTIC = ("sphere",)
#: Names a scene's ``hrtf`` key accepts besides a path.
NAMES = tuple(BUNDLED) + ANALYTIC


def bundled_hrtf_path(name):
    """Path of a bundled HRTF set by name (``"kemar"``)."""
    if isinstance(name, str) and name in BUNDLED:
        return _hrtf_dir() / BUNDLED[name]
    raise HrtfError(f"hrtf is {name!r} but must be one of {', '.join(map(repr, NAMES))} "
                     "or a path to a .sofa file")
