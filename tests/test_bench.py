"""spatial-asmr bench: its statistics, search, outputs and command, on tiny cases (never a
speed: the machine that runs the tests is not the one the figures are about)."""

import json
import subprocess
import sys

import numpy as np
import pytest

from spatial_asmr.bench import full_cases, quick_cases, run_suite, table
from spatial_asmr.bench import suite as suite_module
from spatial_asmr.bench.report import compare
from spatial_asmr.bench.runs import sofalizer_available
from spatial_asmr.bench.timing import NOISY_SPREAD, summarize

TINY = "^fixed static-1$|^sofalizer static-1$"


def test_the_statistics_are_the_median_min_and_max_of_the_timed_runs():
    timing = summarize([0.5, 0.25, 1.0], audio_seconds=2.0)
    assert timing.median == 0.5
    assert timing.factors() == (4.0, 2.0, 8.0)  # audio seconds per wall second
    assert timing.spread == pytest.approx((1.0 - 0.25) / 0.5)
    assert timing.noisy
    steady = summarize([1.0, 1.1, 1.05], 1.0)
    assert steady.spread == pytest.approx(0.1 / 1.05) and not steady.noisy
    assert NOISY_SPREAD == 0.25


@pytest.mark.parametrize("runs", [[], [0.0, 1.0], [-1.0]])
def test_runs_that_are_not_positive_times_are_refused(runs):
    with pytest.raises(ValueError, match="positive times"):
        summarize(runs, 1.0)


def test_every_case_has_its_own_name_and_the_quick_run_has_every_kind_and_engine():
    for cases in (full_cases(), quick_cases()):
        names = [c.name for c in cases]
        assert len(names) == len(set(names))
    quick = quick_cases()
    assert {c.kind for c in quick} == {"render", "naive", "oaconvolve", "sofalizer", "fft",
                                       "copy"}
    assert {c.engine for c in quick if c.kind == "render" and c.moving} == {"exact", "basis"}
    full = full_cases()
    assert {c.sources for c in full if c.kind == "render"} == {1, 4, 16, 64, 256}
    assert {c.block for c in full if c.kind == "render"} == {64, 128, 256, 512, 1024}
    assert {c.taps for c in full if c.kind == "render"} == {None, 128, 256, 512}


@pytest.mark.parametrize("threshold, expected", [(10.0, 10), (1.0, 100), (0.5, 200), (200, 0)])
def test_the_headline_search_finds_the_largest_count_at_the_threshold(monkeypatch, threshold,
                                                                      expected):
    # a made-up engine whose real-time factor is 100 / n: the search alone
    monkeypatch.setattr(suite_module, "_probe",
                        lambda ws, engine, n, seconds, repeat: [100.0 / n] * repeat)
    found = suite_module.headline(None, "exact", threshold, limit=1024, tolerance=0)
    assert found["sources"] == expected
    assert found["next"] == expected + 1
    probes = {int(k): v for k, v in found["probes"].items()}
    assert all((min(v) >= threshold) == (k <= expected) for k, v in probes.items())


def test_the_search_stops_within_its_tolerance(monkeypatch):
    monkeypatch.setattr(suite_module, "_probe",
                        lambda ws, engine, n, seconds, repeat: [1000.0 / n] * repeat)
    found = suite_module.headline(None, "exact", 1.0, tolerance=0.02)
    # 1000 at 1x: the bracket closes to within 2 % of the count that passed
    assert found["sources"] <= 1000 < found["next"]
    assert found["next"] - found["sources"] <= 0.02 * found["sources"]


def test_the_search_stops_at_its_limit(monkeypatch):
    monkeypatch.setattr(suite_module, "_probe",
                        lambda ws, engine, n, seconds, repeat: [1e9] * repeat)
    assert suite_module.headline(None, "basis", 1.0, limit=64, repeat=2) == {
        "threshold": 1.0, "sources": 64, "next": None, "range": [64e9, 64e9],
        "probes": {str(n): [1e9, 1e9] for n in (1, 2, 4, 8, 16, 32, 64)}}


def test_the_headline_range_is_where_the_single_runs_put_the_crossing(monkeypatch):
    # runs 10 % slower and faster than an engine at 300 / n: each implies its
    # own crossing at 1x, 270 and 330 sources; the count found passes on the slowest
    monkeypatch.setattr(suite_module, "_probe", lambda ws, engine, n, seconds, repeat:
                        [0.9 * 300 / n, 300 / n, 1.1 * 300 / n])
    found = suite_module.headline(None, "exact", 1.0, tolerance=0)
    assert found["sources"] == 270 and found["next"] == 271
    assert found["range"] == [270, 330]


@pytest.fixture(scope="module")
def tiny():
    return run_suite(repeat=2, only=TINY)


def test_a_run_records_the_machine_and_every_case_with_its_figures(tiny):
    machine = tiny["machine"]
    for key in ("cpu", "cores", "numpy", "scipy", "numba", "fft", "commit", "date",
                "load_average"):
        assert key in machine
    rows = {r["name"]: r for r in tiny["cases"]}
    assert set(rows) == {"fixed static-1", "sofalizer static-1"}
    fixed = rows["fixed static-1"]
    assert len(fixed["runs_s"]) == 2
    rt = fixed["realtime"]
    factors = sorted(fixed["audio_seconds"] / t for t in fixed["runs_s"])
    assert rt["min"] == pytest.approx(factors[0]) and rt["max"] == pytest.approx(factors[-1])
    assert rt["median"] == pytest.approx(np.median(factors))
    why = sofalizer_available()
    if why is None:
        assert "realtime" in rows["sofalizer static-1"]
    else:
        assert rows["sofalizer static-1"]["skipped"] == why
    assert "headline" not in tiny  # --only runs no search


def test_the_table_shows_what_the_json_holds(tiny):
    text = table(tiny)
    for row in tiny["cases"]:
        line = next(x for x in text.splitlines() if x.strip().startswith(row["name"] + " "))
        if "realtime" in row:
            assert f"{row['realtime']['median']:.1f}x" in line
            assert f"min {row['realtime']['min']:.1f}" in line
        else:
            assert row["skipped"] in line


def test_a_comparison_gives_each_case_its_ratio_to_the_previous_run(tiny):
    halved = json.loads(json.dumps(tiny))
    for row in halved["cases"]:
        if "realtime" in row:
            row["realtime"]["median"] /= 2
            row["spread"] = 0.0
    lines = compare(tiny, halved)
    fixed = next(x for x in lines if "fixed static-1" in x)
    assert "2.00x" in fixed


def test_the_command_writes_json_and_a_plot_and_compares(tmp_path):
    out, png = tmp_path / "b.json", tmp_path / "b.png"
    command = [sys.executable, "-m", "spatial_asmr", "bench", "--only", "^fixed static-1$",
               "--repeat", "2", "--json", str(out), "--plot", str(png)]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    assert data["schema"] == 1 and [r["name"] for r in data["cases"]] == ["fixed static-1"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"{data['cases'][0]['realtime']['median']:.1f}x" in done.stdout
    again = subprocess.run(command[:-4] + ["--compare", str(out)], capture_output=True,
                           text=True)
    assert again.returncode == 0 and "ratio of real-time factors" in again.stdout


@pytest.mark.parametrize("args, message", [
    (["--only", "("], "--only is '(' but must be a regular expression"),
    (["--repeat", "0"], "--repeat is 0 but must be at least 1"),
    (["--compare", "missing.json"], "missing.json cannot be read as a benchmark result"),
])
def test_bad_arguments_are_named(tmp_path, args, message):
    done = subprocess.run([sys.executable, "-m", "spatial_asmr", "bench"] + args,
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1
    assert message in done.stderr and "Traceback" not in done.stderr


def test_the_readme_table_is_the_markdown_of_the_run_it_quotes():
    from pathlib import Path

    from spatial_asmr.bench import read_json
    from spatial_asmr.bench.report import markdown

    root = Path(__file__).parent.parent
    result = read_json(root / "docs" / "bench.json")
    assert not result["settings"]["quick"] and result["settings"]["only"] is None
    assert markdown(result) in (root / "README.md").read_text()
