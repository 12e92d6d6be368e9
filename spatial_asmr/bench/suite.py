"""The benchmark suite: cases, the headline figure, quality, in one run."""

__all__ = ["run_suite", "headline", "case_row"]

import re
import tempfile
import time
from pathlib import Path

from .cases import ENGINES, Case, full_cases, quick_cases
from .runs import Skipped, run_case
from .scenes import Workspace
from .timing import machine

HEADLINE_BLOCK = 128
"""int : Block size of the headline figure."""
THRESHOLDS = (1.0, 10.0)
"""tuple : Real-time factors the headline figure counts sources at."""


def case_row(case, timing=None, skipped=None):
    """The JSON record of a case: its parameters and figures (or why it was skipped)."""
    row = {"name": case.name, "kind": case.kind, "group": case.group, "line": case.line,
           "sources": case.sources, "moving": case.moving, "engine": case.engine,
           "block": case.block, "taps": case.taps, "near_field": case.near_field,
           "interpolation": case.interpolation, "audio_seconds": case.seconds}
    if skipped is not None:
        row["skipped"] = skipped
        return row
    median, low, high = timing.factors()
    row.update({"runs_s": list(timing.runs), "median_s": timing.median,
                "realtime": {"median": median, "min": low, "max": high},
                "spread": timing.spread, "noisy": timing.noisy})
    return row


def _probe(workspace, engine, n, seconds, repeat=3):
    """The real-time factor of each run of ``n`` moving sources."""
    case = Case("render", n, True, engine, block=HEADLINE_BLOCK, seconds=seconds)
    timing = run_case(case, workspace, repeat)
    return [timing.audio_seconds / t for t in timing.runs]


def _crossing(probes, low, high, threshold):
    """The source counts at ``threshold`` x that the runs at ``low`` and ``high`` imply.

    Near the crossing a render's time grows in proportion to its sources
    (hundreds of them; the fixed costs are a few percent), so a run of ``n``
    sources at ``f`` x puts the crossing at ``n f / threshold``.  The range
    over the runs at the two counts that bracket it says how far the
    machine's noise moves the figure within the run.
    """
    counts = [n for n in (low, high) if n in probes and n > 0]
    estimates = [n * f / threshold for n in counts for f in probes[n]]
    return [round(min(estimates)), round(max(estimates))] if estimates else None


def headline(workspace, engine, threshold, seconds=4.0, limit=1024, tolerance=0.02,
             repeat=3):
    """The largest number of moving sources an engine renders at ``threshold`` x or more.

    Doubling from 1 source until the factor falls below the threshold, then
    bisection between the last count that reached it and the first that
    did not, until they are within ``tolerance`` of each other (a fraction:
    near the threshold one source more or less is within the runs' spread,
    about 10 % here, so a finer search would only follow the noise).  Each
    probe is ``repeat`` renders of ``seconds`` of audio after a warm-up, the
    plan's making included, as in a user's render (short probes understate
    long renders), and passes when the slowest of them reaches the
    threshold (the median passed 448 sources at 1x in one run; rendered
    again 40 minutes later, 448 sources measured 0.82-0.88x).

    Returns
    -------
    dict
        ``sources`` (0 if even one source is too slow), ``next`` (the count
        above it that was measured below the threshold, or None at the
        limit), ``range`` (the counts at the threshold that the single runs
        at those two counts imply, :func:`_crossing`: how far the noise of
        the run moves the figure) and the factors of each run at each probe.
    """
    probes = {}

    def done(sources, following):
        return {"threshold": threshold, "sources": sources, "next": following,
                "range": _crossing(probes, sources, following, threshold),
                "probes": {str(k): v for k, v in sorted(probes.items())}}

    def passes(n):
        # a count passes when every run reaches the threshold (the slowest)
        probes[n] = _probe(workspace, engine, n, seconds, repeat)
        return min(probes[n]) >= threshold

    if not passes(1):
        return done(0, 1)
    low, high = 1, None
    while high is None:
        n = low * 2
        if n > limit:
            return done(low, None)
        if passes(n):
            low = n
        else:
            high = n
    while high - low > max(1, int(tolerance * low)):
        mid = (low + high) // 2
        if passes(mid):
            low = mid
        else:
            high = mid
    return done(low, high)


def run_suite(quick=False, repeat=3, only=None, with_headline=True, with_quality=False,
              progress=None):
    """Run the benchmark.

    Parameters
    ----------
    quick : bool
        One case of each engine and baseline, short (under a minute), and a
        coarse headline (10x only, to 10 %, one run a probe).
    repeat : int
        Timed runs per case after a warm-up run.
    only : str, optional
        A regular expression: run the cases whose names match it.
    with_headline : bool
        Find the headline figure (the bisection takes most of a full run).
    with_quality : bool
        Measure each engine's quality too (:mod:`spatial_asmr.bench.quality`).
    progress : callable, optional
        Called with a line of text as each case finishes.

    Returns
    -------
    dict
        ``machine``, ``settings``, ``cases`` (one record each, see
        :func:`case_row`), ``headline`` and ``quality`` where measured, and
        ``wall_s``.
    """
    say = progress or (lambda line: None)
    started = time.perf_counter()
    cases = quick_cases() if quick else full_cases()
    if only:
        pattern = re.compile(only)
        cases = [c for c in cases if pattern.search(c.name)]
    result = {"machine": machine(),
              "settings": {"quick": quick, "repeat": repeat, "only": only},
              "cases": []}
    with tempfile.TemporaryDirectory(prefix="spatial-asmr-bench-") as tmp:
        workspace = Workspace(Path(tmp))
        for case in cases:
            try:
                row = case_row(case, run_case(case, workspace, repeat))
            except Skipped as why:
                row = case_row(case, skipped=str(why))
            result["cases"].append(row)
            say(row)
        if with_headline and not only:
            result["headline"] = {}
            for engine in ENGINES:
                thresholds = THRESHOLDS[1:] if quick else THRESHOLDS
                result["headline"][engine] = [
                    headline(workspace, engine, t, seconds=2.0 if quick else 4.0,
                             tolerance=0.1 if quick else 0.02, repeat=1 if quick else 3)
                    for t in thresholds]
                say({"headline": engine, "figures": result["headline"][engine]})
        if with_quality:
            from .quality import quality

            result["quality"] = quality(quick)
            say({"quality": result["quality"]})
    result["wall_s"] = time.perf_counter() - started
    return result

