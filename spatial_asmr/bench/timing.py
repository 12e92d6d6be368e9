"""Timing statistics and the machine a benchmark ran on (light: no numba)."""

__all__ = ["Timing", "summarize", "timed", "machine", "NOISY_SPREAD"]

import os
import platform
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NOISY_SPREAD = 0.25
"""float : A case whose runs spread by more than this fraction of their median
(``(max - min) / median``) is flagged noisy."""


@dataclass(frozen=True)
class Timing:
    """Wall times of the runs of one case (the warm-up run excluded).

    Attributes
    ----------
    runs : tuple of float
        Seconds of each timed run, in order.
    audio_seconds : float
        Seconds of audio one run renders (0 for bound rows timed per pass).
    """

    runs: tuple
    audio_seconds: float

    @property
    def median(self):
        return float(np.median(self.runs))

    @property
    def spread(self):
        """float : ``(max - min) / median`` of the runs."""
        return (max(self.runs) - min(self.runs)) / self.median if self.median > 0 else 0.0

    @property
    def noisy(self):
        return self.spread > NOISY_SPREAD

    def factors(self):
        """Real-time factors (audio seconds per wall second): median, min, max."""
        rates = [self.audio_seconds / t for t in self.runs]
        return float(np.median(rates)), float(min(rates)), float(max(rates))


def summarize(runs, audio_seconds):
    """:class:`Timing` of some runs (seconds each)."""
    runs = tuple(float(t) for t in runs)
    if not runs or min(runs) <= 0:
        raise ValueError(f"runs are {runs} but must be one or more positive times")
    return Timing(runs, float(audio_seconds))


def timed(run, repeat, audio_seconds, warm_up=True):
    """Time ``run()`` ``repeat`` times after one untimed warm-up call.

    Parameters
    ----------
    run : callable
        One run of the case (kernels compiled and tables cached by the warm-up).
    repeat : int
        Timed runs, at least 1.
    audio_seconds : float
    warm_up : bool

    Returns
    -------
    Timing
    """
    if warm_up:
        run()
    runs = []
    for _ in range(max(1, int(repeat))):
        start = time.perf_counter()
        run()
        runs.append(time.perf_counter() - start)
    return summarize(runs, audio_seconds)


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _commit():
    folder = Path(__file__).resolve().parent
    try:
        done = subprocess.run(["git", "-C", str(folder), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def machine():
    """What a benchmark ran on: CPU, cores, load, library versions, commit, date."""
    import numba
    import scipy

    from .. import __version__

    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "load_average": load,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "numba": numba.__version__,
        "fft": "scipy.fft (pocketfft)",
        "spatial_asmr": __version__,
        "commit": _commit(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }
