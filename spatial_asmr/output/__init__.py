"""After the mix: loudness and true-peak metering, limiting, dither, and writing files
atomically.
"""

from .files import atomic_path
from .writing import (
    BIT_DEPTHS,
    FORMATS,
    WriteReport,
    check_destination,
    write_audio,
)

__all__ = ["BIT_DEPTHS", "FORMATS", "WriteReport", "atomic_path", "check_destination",
           "write_audio"]
