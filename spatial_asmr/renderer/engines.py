"""Which time-varying engine renders a scene (light: the estimate reads it too).

``render.engine: auto`` takes the basis engine
(:class:`~spatial_asmr.dsp.basis_convolution.BasisConvolver`) from
:data:`BASIS_FROM` moving sources on, and the exact engine
(:class:`~spatial_asmr.dsp.convolution.PartitionedConvolver`) below: the
basis engine's fixed cost (``2 K`` convolutions of its basis signals) pays
off only once enough sources share it.  The crossover is measured by
``benchmarks/basis_engine.py --crossover``.
"""

__all__ = ["BASIS_FROM", "ENGINES", "choose_engine"]

ENGINES = ("auto", "exact", "basis")
"""tuple : The values of ``render.engine``."""
BASIS_FROM = 24
"""int : Moving sources from which ``auto`` takes the basis engine."""


def choose_engine(setting, n_moving):
    """``'exact'`` or ``'basis'`` for ``render.engine`` and a count of moving sources."""
    if setting not in ENGINES:
        raise ValueError(f"engine is {setting!r} but must be one of {', '.join(ENGINES)}")
    if setting == "auto":
        return "basis" if n_moving >= BASIS_FROM else "exact"
    return setting
