"""The benchmark suite behind ``spatial-asmr bench``.

Real-time factors of the engines (exact and basis, static and moving, over
source counts, block sizes, HRIR lengths, near field and interpolation)
beside baselines measured in the same run on the same signals (per-source
numpy convolution with a crossfade, ``scipy.signal.oaconvolve``, ffmpeg's
sofalizer) and bounds (the forward FFTs alone, a memory copy); the headline
figure (the most moving sources rendered at 1x and 10x, by bisection); and,
on request, each engine's quality (motion artefacts, leave-one-out LSD)::

    from spatial_asmr.bench import run_suite, table
    result = run_suite(quick=True)
    print(table(result))
"""

from .cases import Case, full_cases, quick_cases
from .report import compare, plot, read_json, table, write_json
from .suite import headline, run_suite

__all__ = ["Case", "full_cases", "quick_cases", "run_suite", "headline", "table",
           "write_json", "read_json", "plot", "compare"]
