"""The block and chunk sizes the renderer works in (light: the estimate reads them too)."""

__all__ = ["CHUNK_SAMPLES", "LONGEST_CHUNK", "CHUNK_BUDGET", "chunk_samples",
           "STATIC_CHUNK_SAMPLES", "STATIC_FFT", "CONTROL_CHUNKS"]

CHUNK_SAMPLES = 16384
"""int : Fewest samples rendered per chunk while something moves."""
LONGEST_CHUNK = 65536
"""int : Most samples rendered per chunk while something moves."""
CHUNK_BUDGET = 1 << 20
"""int : Channels in a chunk times its samples that a chunk may hold (what
bounds its buffers): a scene of few channels at a time (however many in all:
the plan counts those applying a filter in a chunk) renders in longer chunks,
with less work per sample spent on handing chunks from one stage to the
next."""


def chunk_samples(channels):
    """Samples per chunk of a time-varying engine with ``channels`` channels in a chunk.

    The longest power of two from :data:`CHUNK_SAMPLES` to
    :data:`LONGEST_CHUNK` whose chunk holds at most :data:`CHUNK_BUDGET`
    channel-samples (or :data:`CHUNK_SAMPLES`, whatever the count).
    """
    n = LONGEST_CHUNK
    while n > CHUNK_SAMPLES and n * max(1, channels) > CHUNK_BUDGET:
        n //= 2
    return n
STATIC_CHUNK_SAMPLES = 1 << 18
"""int : Samples per chunk when nothing moves (fixed filters, long blocks)."""
STATIC_FFT = 8192
"""int : Shortest FFT of the fixed-filter engine."""
CONTROL_CHUNKS = 8
"""int : Chunks whose positions and HRTF lookups are computed in one call."""
