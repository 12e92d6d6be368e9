"""Which time-varying engine renders a scene (light: the estimate reads it too).

``render.engine: auto`` takes the basis engine
(:class:`~spatial_asmr.dsp.basis_convolution.BasisConvolver`) from
:data:`BASIS_FROM` moving sources sounding at once on, and the exact engine
(:class:`~spatial_asmr.dsp.convolution.PartitionedConvolver`) below: the
basis engine's fixed cost (``2 K`` convolutions of its basis signals, all
the time) pays off only once enough sources share it, and both engines skip
a source where it is silent, so what counts is how many sound together (an
hour of 60 sources, a few at a time, is a few-source scene).  The crossover
is measured by ``benchmarks/basis_engine.py --crossover``.
"""

__all__ = ["BASIS_FROM", "ENGINES", "choose_engine", "most_at_once"]

ENGINES = ("auto", "exact", "basis")
"""tuple : The values of ``render.engine``."""
BASIS_FROM = 32
"""int : Moving sources from which ``auto`` takes the basis engine.  Measured
(``benchmarks/basis_engine.py --only crossover``, KEMAR, 40 filters, 10 s,
medians of 3, 2 cores): the exact engine is faster up to 16 sources (24.5x
vs 19.7x), the two are within their spread at 24 (14.8x vs 16.0x), and the
basis engine is faster in every repeat at 32 (14.4x vs 12.3x) and 64 (7.5x vs
6.5x)."""


def choose_engine(setting, n_moving):
    """``'exact'`` or ``'basis'`` for ``render.engine`` and a count of moving sources."""
    if setting not in ENGINES:
        raise ValueError(f"engine is {setting!r} but must be one of {', '.join(ENGINES)}")
    if setting == "auto":
        return "basis" if n_moving >= BASIS_FROM else "exact"
    return setting


def most_at_once(spans):
    """The most of ``spans`` that overlap at one time.

    Parameters
    ----------
    spans : iterable of (float, float)
        ``(start, end)`` of each, end excluded; empty ones count for none.

    Returns
    -------
    int
    """
    events = []
    for start, end in spans:
        if end > start:
            events += [(start, 1), (end, -1)]
    count = most = 0
    for _, step in sorted(events):  # an end before a start at the same time
        count += step
        most = max(most, count)
    return most
