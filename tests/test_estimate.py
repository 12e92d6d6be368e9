"""A render's cost is known before it starts: the memory estimate against
the peak resident memory the operating system measures, scenes over the
limit refused with the field that drives them, the estimate printed by
``info SCENE`` and ``validate --estimate``."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from spatial_asmr import SceneError, SpatialAsmrError, load_hrtf, load_scene, render_to_file
from spatial_asmr.batch.runner import render_many
from spatial_asmr.renderer.estimate import estimate_render
from spatial_asmr.renderer.memory import default_max_memory, parse_size
from spatial_asmr.testing import PEAK_MEMORY_SCRIPT, memory_scene


@pytest.fixture(autouse=True, scope="module")
def preprocessed_kemar():
    """KEMAR at 48 kHz in the session's disk cache, as after a first render:
    the figures below are those of every later render."""
    load_hrtf("kemar", 48000)


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "spatial_asmr", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


def _scene(folder, count, kind, moving, seconds=8.0, name=None):
    """``count`` sources: whisper generators or a 44.1 kHz noise file, held
    still or sweeping half a circle."""
    if kind == "file" and not (folder / "noise.wav").exists():
        rng = np.random.default_rng(1)
        sf.write(folder / "noise.wav", 0.1 * rng.standard_normal(44100 * 12), 44100,
                 subtype="PCM_16")
    path = folder / (name or f"{kind}_{count}_{'moving' if moving else 'still'}.yaml")
    path.write_text(memory_scene(count, kind, moving, seconds))
    return path


@pytest.mark.parametrize(("count", "kind", "moving"), [
    (1, "generator", False),
    (40, "generator", False),
    (40, "file", True),
])
def test_the_memory_estimate_is_near_the_measured_peak(tmp_path, count, kind, moving):
    scene = _scene(tmp_path, count, kind, moving)
    # the first render of the HRTF set at a rate preprocesses and caches it
    # (about 400 MB more, once; the estimate counts it while the cache has no
    # entry): fill the cache in a process of its own
    warm = subprocess.run([sys.executable, "-c", PEAK_MEMORY_SCRIPT, str(scene),
                           str(tmp_path / "w.wav")], capture_output=True, text=True, timeout=600)
    assert warm.returncode == 0, warm.stderr
    done = subprocess.run([sys.executable, "-c", PEAK_MEMORY_SCRIPT, str(scene),
                           str(tmp_path / "o.wav")], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    ratio = figures["estimate"] / figures["peak"]
    # measured at 0.86-1.15 over 1 to 200 sources of each kind
    # (benchmarks/memory_estimate.py); a term left out or counted twice
    # moves a 40-source scene well outside this
    assert 0.75 < ratio < 1.35, figures


def test_memory_grows_with_sources_not_with_duration(tmp_path):
    short = estimate_render(load_scene(_scene(tmp_path, 10, "generator", True, 60.0, "a.yaml")))
    long = estimate_render(load_scene(_scene(tmp_path, 10, "generator", True, 36000.0,
                                             "b.yaml")))
    more = estimate_render(load_scene(_scene(tmp_path, 100, "generator", True, 60.0,
                                             "c.yaml")))
    # ten hours add only the sidecar's peaks: 8 bytes per source per 100 ms
    assert long.memory_bytes - short.memory_bytes == pytest.approx(
        10 * 8 * (36000 - 60) * 10, rel=1e-6)
    assert more.memory_bytes > short.memory_bytes + 90 * 5e6
    assert long.output_bytes == 36000 * 48000 * 6 + 44


def test_a_scene_over_the_limit_is_refused_before_rendering(tmp_path):
    scene = _scene(tmp_path, 40, "generator", False)
    out = tmp_path / "out.wav"
    out.write_bytes(b"previous")
    result = run("render", scene, "-o", out, "--max-memory", "300M")
    assert result.returncode == 1
    message = result.stderr
    assert message.startswith(f"error: {scene}: sources: the render needs an estimated ")
    # each whisper is 8 s, one segment, held as 384,000 float32 samples
    assert "40 x 1.5 MB for generator segments held" in message
    assert "but the limit is 314.6 MB (--max-memory 300M)" in message  # 300 * 2**20 bytes
    assert "render fewer sources per scene" in message
    assert "Traceback" not in message
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out.wav", scene.name])


def test_validate_applies_the_limit_and_prints_the_estimate(tmp_path):
    scene = _scene(tmp_path, 3, "generator", True, seconds=120.0)
    refused = run("validate", scene, "--max-memory", "100M")
    assert refused.returncode == 1
    assert "hrtf: the render needs an estimated" in refused.stderr
    assert "the program and its HRTF set alone need that much" in refused.stderr
    shown = run("validate", "--estimate", scene)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == f"{scene}: valid"
    assert lines[1] == "  length       120.0 s at 48000 Hz (3 sources, 3 moving)"
    assert any(line.startswith("  memory       about ") for line in lines)
    # 120 s, 48 kHz, 24-bit stereo: 34,560,000 bytes and the header
    assert "  output       34.6 MB as 24-bit WAV" in lines


def test_info_describes_a_scene(tmp_path):
    scene = _scene(tmp_path, 2, "file", False, seconds=30.0)
    result = run("info", scene)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "  length       30.0 s at 48000 Hz (2 sources, 0 moving)" in text
    assert "file blocks and resamplers (sources): 2 x " in text
    assert "  render time  about " in text
    assert "  limit        " in text and ": within" in text


def test_batch_fails_only_the_scene_over_the_limit(tmp_path):
    small = _scene(tmp_path, 1, "generator", False, seconds=1.0, name="small.yaml")
    large = _scene(tmp_path, 80, "generator", False, seconds=1.0, name="large.yaml")
    summary = render_many([small, large], tmp_path / "out", jobs=1, max_memory="350M")
    status = {r["name"]: r["status"] for r in summary.records}
    assert status == {"small": "rendered", "large": "failed"}
    error = summary.failures[0]["error"]
    assert "sources: the render needs an estimated" in error
    assert "(the batch's --max-memory 350M)" in error
    assert not (tmp_path / "out" / "large.wav").exists()


@pytest.mark.parametrize(("text", "expected"), [
    ("8G", 8 * 2 ** 30), ("1.5GB", 1.5e9), ("512MiB", 512 * 2 ** 20), ("300m", 300 * 2 ** 20),
    ("2T", 2 * 2 ** 40), ("750kB", 750e3), ("123456", 123456), (4096, 4096),
    ("none", math.inf),
])
def test_memory_sizes(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["12x", "-1G", "0", "G", "nan", "1e400", "", "8 G X"])
def test_bad_memory_sizes_are_refused_with_the_option_name(text):
    with pytest.raises(SpatialAsmrError, match=f"--max-memory is {text!r} but must be a "
                                               "positive number of bytes"):
        parse_size(text, "--max-memory")


def test_the_default_limit_is_half_the_machine_memory():
    with open("/proc/meminfo") as fh:
        total = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("MemTotal"))
    limit = None
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as fh:
                text = fh.read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < total:
            limit = int(text)
        break
    expected = 0.5 * (limit or total)
    # MemTotal leaves out the kernel's own reserve; within 3 %
    assert default_max_memory() == pytest.approx(expected, rel=0.03)
    assert default_max_memory(4) == pytest.approx(default_max_memory() / 4)


def test_the_python_api_applies_the_limit(tmp_path):
    scene = load_scene(_scene(tmp_path, 40, "generator", False))
    with pytest.raises(SceneError, match=r"sources: .* \(--max-memory 0.3GB\)"):
        render_to_file(scene, tmp_path / "out.wav", max_memory="0.3GB")
    assert not (tmp_path / "out.wav").exists()


def test_an_in_memory_render_counts_the_track_it_returns(tmp_path):
    from spatial_asmr import render

    scene = load_scene(_scene(tmp_path, 1, "generator", False, seconds=100_000.0))
    # 100,000 s at 48 kHz, stereo float64, the pieces and their join: 153.6 GB
    with pytest.raises(SceneError, match=r"duration: the render needs an estimated 153\.\d\d "
                                         r"GB .* render to a file instead"):
        render(scene)
    figures = estimate_render(scene, in_memory="mastered")
    assert figures.memory_bytes - estimate_render(scene).memory_bytes == 2 * 4.8e9 * 2 * 8


def test_a_cold_hrtf_cache_is_counted_until_the_set_is_preprocessed(tmp_path, monkeypatch):
    monkeypatch.setenv("SPATIAL_ASMR_CACHE", str(tmp_path / "empty-cache"))
    scene = load_scene(_scene(tmp_path, 1, "generator", False, seconds=1.0))
    cold = estimate_render(scene)
    assert any(p.what.startswith("preprocessing the HRTF set") for p in cold.parts)
    # a process of its own (this one holds the set in memory, not on disk)
    assert run("render", scene.path, "-o", tmp_path / "out.wav", "-q").returncode == 0
    warm = estimate_render(scene)
    assert not any(p.what.startswith("preprocessing the HRTF set") for p in warm.parts)
    # measured: 667 MiB with an empty cache, 273 MiB with a full one
    assert 3e8 < cold.memory_bytes - warm.memory_bytes < 5e8
