"""The benchmark's cases: the scenes each engine renders and the baselines beside them.

Every case renders (or, for a baseline, convolves) the same kind of signal:
white noise, a different stretch of one file per source, looped.  Moving
sources circle the head on orbits of their own period (2 to 9 s), height
(-30 to 60 degrees) and distance (0.5 to 2 m, so near-field rendering
works on those inside the set's distance); static ones hold a position on
the same spread.  The HRIR length axis renders KEMAR's responses cut to
128, 256 or 512 taps with a half-Hann fade over their last eighth.

The axes are varied one at a time around a base point (16 moving sources,
block size 128, KEMAR's full responses, near field on, barycentric), and
the source count over 1, 4, 16, 64, 256 for each engine.
"""

__all__ = ["Case", "full_cases", "quick_cases", "SOURCES", "BLOCKS", "TAPS", "ENGINES"]

from dataclasses import dataclass, replace

SOURCES = (1, 4, 16, 64, 256)
"""tuple : Source counts of the source axis."""
BLOCKS = (64, 128, 256, 512, 1024)
"""tuple : Block sizes of the block axis."""
TAPS = (128, 256, 512)
"""tuple : HRIR lengths of the length axis (None in a case: KEMAR's own, 557 at 48 kHz)."""
ENGINES = ("exact", "basis")
"""tuple : The time-varying engines (``render.engine``)."""
RATE = 48000


@dataclass(frozen=True)
class Case:
    """One row of the benchmark.

    Attributes
    ----------
    kind : str
        ``'render'`` (the package), ``'naive'`` (per-source numpy convolution
        with old and new filter and a crossfade, the pyBinSim/SSR way),
        ``'oaconvolve'`` (``scipy.signal.oaconvolve`` per source, static),
        ``'sofalizer'`` (ffmpeg's sofalizer as a process, static), ``'fft'``
        (the forward FFTs alone that a partitioned convolution of the sources
        needs: one per source and block) or ``'copy'`` (copying the same
        samples: memory bandwidth).
    sources : int
    moving : bool
    engine : str or None
        ``render.engine`` of a render.
    block : int
    taps : int or None
        HRIR length; None: the set's own.
    near_field : bool
    interpolation : str
    seconds : float
        Audio seconds per run.
    """

    kind: str
    sources: int
    moving: bool = True
    engine: str | None = None
    block: int = 128
    taps: int | None = None
    near_field: bool = True
    interpolation: str = "barycentric"
    seconds: float = 4.0

    @property
    def name(self):
        what = f"{'moving' if self.moving else 'static'}-{self.sources}"
        if self.kind == "render":
            label = f"{self.engine if self.moving else 'fixed'} {what}"
        else:
            label = f"{self.kind} {what}"
        if self.moving:
            label += f" B={self.block}"
        if self.taps is not None:
            label += f" taps={self.taps}"
        if not self.near_field:
            label += " no-near-field"
        if self.interpolation != "barycentric":
            label += f" {self.interpolation}"
        return label

    @property
    def group(self):
        """str : ``'engine'``, ``'baseline'`` or ``'bound'``."""
        return {"render": "engine", "fft": "bound", "copy": "bound"}.get(self.kind, "baseline")

    @property
    def line(self):
        """str : The plot line the case belongs to (its kind and engine)."""
        if self.kind == "render":
            return f"{self.engine} engine" if self.moving else "fixed filters (static)"
        return {"naive": "naive crossfade (numpy)", "oaconvolve": "scipy oaconvolve (static)",
                "sofalizer": "ffmpeg sofalizer (static)", "fft": "bound: forward FFTs",
                "copy": "bound: memory copy"}[self.kind]


def _seconds(sources, quick):
    # long enough to time, short enough for 256 sources
    if quick:
        return 1.0
    return max(1.0, min(8.0, 64.0 / sources))


def full_cases():
    """Every case of a full run."""
    cases = []
    for n in SOURCES:
        seconds = _seconds(n, False)
        for engine in ENGINES:
            cases.append(Case("render", n, True, engine, seconds=seconds))
        cases.append(Case("render", n, False, "exact", seconds=seconds))
        cases.append(Case("oaconvolve", n, False, seconds=seconds))
        cases.append(Case("fft", n, True, seconds=seconds))
        cases.append(Case("copy", n, True, seconds=seconds))
        if n <= 16:
            # slow: a second of audio is enough for a per-audio-second figure
            cases.append(Case("naive", n, True, seconds=1.0))
        if n <= 8:
            cases.append(Case("sofalizer", n, False, seconds=seconds))
    base = Case("render", 16, True, "exact", seconds=_seconds(16, False))
    for engine in ENGINES:
        here = replace(base, engine=engine)
        cases += [replace(here, block=b) for b in BLOCKS if b != 128]
        cases += [replace(here, taps=t) for t in TAPS]
        cases.append(replace(here, near_field=False))
        cases.append(replace(here, interpolation="nearest"))
    cases += [Case("fft", 16, True, block=b, seconds=base.seconds) for b in BLOCKS if b != 128]
    cases += [Case("naive", 16, True, block=b, seconds=1.0) for b in (64, 512)]
    return cases


def quick_cases():
    """One of each engine and baseline, short (``bench --quick``: under a minute)."""
    return [
        Case("render", 1, True, "exact", seconds=2.0),
        Case("render", 16, True, "exact", seconds=1.0),
        Case("render", 16, True, "basis", seconds=1.0),
        Case("render", 16, False, "exact", seconds=2.0),
        Case("naive", 4, True, seconds=0.5),
        Case("oaconvolve", 16, False, seconds=2.0),
        Case("sofalizer", 4, False, seconds=2.0),
        Case("fft", 16, True, seconds=1.0),
        Case("copy", 16, True, seconds=1.0),
    ]
