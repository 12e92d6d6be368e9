"""The block and chunk sizes the renderer works in (light: the estimate reads them too)."""

__all__ = ["CHUNK_SAMPLES", "STATIC_CHUNK_SAMPLES", "STATIC_FFT", "CONTROL_CHUNKS"]

CHUNK_SAMPLES = 16384
"""int : Samples rendered per chunk while something moves."""
STATIC_CHUNK_SAMPLES = 1 << 18
"""int : Samples per chunk when nothing moves (fixed filters, long blocks)."""
STATIC_FFT = 8192
"""int : Shortest FFT of the fixed-filter engine."""
CONTROL_CHUNKS = 8
"""int : Chunks whose positions and HRTF lookups are computed in one call."""
