"""Sidecars: positions, active intervals, DCASE rows, re-rendering from them."""

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from spatial_asmr import SpatialAsmrError, load_scene
from spatial_asmr.batch.runner import render_many
from spatial_asmr.batch.sidecar import scene_from_sidecar

SCENE = """\
duration: 4
listener:
  orientation:
    - {time: 0, yaw: 0}
    - {time: 4, yaw: 90}
sources:
  - name: orbit
    generator: {type: whisper, seed: 1}
    trajectory: {orbit: {distance: 0.4, period: 4, start_azimuth: 30}}
  - name: touch
    generator: {type: touch, seed: 2, duration: 1.5}
    start: 1.0
    position: {azimuth: -60, elevation: 20, distance: 0.7}
  - name: voice
    file: voice.wav
    start: 0.5
    position: {azimuth: 0, elevation: 0, distance: 1}
"""


@pytest.fixture(scope="module")
def batch_out(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sidecar")
    rng = np.random.default_rng(3)
    sf.write(folder / "voice.wav", 0.1 * rng.standard_normal(48000), 48000)
    (folder / "scene.yaml").write_text(SCENE)
    summary = render_many([folder / "scene.yaml"], folder / "out", jobs=1,
                          annotations="dcase", classes=["whisper", "touch", "voice"])
    assert summary.count("rendered") == 1, summary.failures
    return folder


def _sidecar(folder):
    return json.loads((folder / "out" / "scene.json").read_text())


def _wrap(degrees):
    return (np.asarray(degrees) + 180.0) % 360.0 - 180.0


def test_orbit_positions_follow_the_orbit_seen_from_the_turning_head(batch_out):
    orbit = _sidecar(batch_out)["sources"][0]["positions"]
    t = np.asarray(orbit["time"])
    np.testing.assert_allclose(t, np.arange(40) * 0.1, atol=1e-9)
    # world azimuth 30 + 360 t / 4 (counter-clockwise), head yaw 90 t / 4
    expected = 30 + 90 * t - 22.5 * t
    np.testing.assert_allclose(_wrap(np.asarray(orbit["azimuth"]) - expected), 0, atol=2e-3)
    np.testing.assert_allclose(orbit["elevation"], 0, atol=2e-3)
    np.testing.assert_allclose(orbit["distance"], 0.4, atol=1e-5)


def test_a_static_source_turns_against_the_head(batch_out):
    touch = _sidecar(batch_out)["sources"][1]["positions"]
    t = np.asarray(touch["time"])
    np.testing.assert_allclose(_wrap(np.asarray(touch["azimuth"]) - (-60 - 22.5 * t)), 0,
                               atol=2e-3)
    np.testing.assert_allclose(touch["elevation"], 20, atol=2e-3)
    np.testing.assert_allclose(touch["distance"], 0.7, atol=1e-5)


def test_active_intervals_are_where_each_source_sounds(batch_out):
    sources = _sidecar(batch_out)["sources"]
    assert sources[1]["active"] == [[1.0, 2.5]]  # touch: start 1 s, 1.5 s long
    assert sources[2]["active"] == [[0.5, 1.5]]  # the file: 1 s from 0.5 s
    assert sources[0]["active"][0][0] < 0.5 and sources[0]["active"][-1][1] <= 4.0


def test_dcase_rows_name_class_track_and_position_of_each_active_frame(batch_out):
    rows = np.loadtxt(batch_out / "out" / "scene.csv", delimiter=",", dtype=int, ndmin=2)
    touch = rows[rows[:, 2] == 1]
    np.testing.assert_array_equal(touch[:, 0], np.arange(10, 25))
    assert set(touch[:, 1]) == {1}
    t = touch[:, 0] * 0.1
    np.testing.assert_array_equal(touch[:, 3], np.round(_wrap(-60 - 22.5 * t)).astype(int))
    assert set(touch[:, 4]) == {20} and set(touch[:, 5]) == {70}
    voice = rows[rows[:, 2] == 2]
    np.testing.assert_array_equal(voice[:, 0], np.arange(5, 15))
    assert set(voice[:, 1]) == {2}
    assert np.all(np.diff(rows[:, 0]) >= 0)  # in frame order


def test_the_sidecar_holds_what_re_renders_the_output(batch_out):
    sidecar = _sidecar(batch_out)
    scene = sidecar["scene"]
    assert scene["render"]["block_size"] == 128 and scene["output"]["bit_depth"] == 24
    assert scene["sources"][0]["generator"]["sibilance"] == 0.35  # a default, filled in
    assert sidecar["hrtf"]["name"] == "kemar" and len(sidecar["hrtf"]["sha256"]) == 64
    assert list(sidecar["files"]) == [str(batch_out / "voice.wav")]
    assert sidecar["key"] == json.loads(
        (batch_out / "out" / "manifest.jsonl").read_text().splitlines()[0])["key"]


def test_render_from_a_sidecar_gives_the_same_bytes(batch_out, tmp_path):
    out = tmp_path / "again.wav"
    result = subprocess.run([sys.executable, "-m", "spatial_asmr", "render", "--from",
                             str(batch_out / "out" / "scene.json"), "-o", str(out), "-q"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == (batch_out / "out" / "scene.wav").read_bytes()
    resolved = scene_from_sidecar(batch_out / "out" / "scene.json")
    original = load_scene(batch_out / "scene.yaml")
    assert [s.name for s in resolved.sources] == [s.name for s in original.sources]


def test_render_from_a_sidecar_refuses_when_a_file_has_changed(batch_out, tmp_path):
    sidecar = _sidecar(batch_out)
    changed = tmp_path / "voice.wav"
    sf.write(changed, np.zeros(480), 48000)
    sidecar["scene"]["sources"][2]["file"] = str(changed)
    sidecar["files"] = {str(changed): "0" * 64}
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(sidecar))
    with pytest.raises(SpatialAsmrError, match="voice.wav' has changed since the render"):
        scene_from_sidecar(path)


def test_a_file_that_is_not_a_sidecar_is_named_in_the_error(tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"a": 1}')
    result = subprocess.run([sys.executable, "-m", "spatial_asmr", "render", "--from",
                             str(path), "-o", str(tmp_path / "x.wav")],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "other.json' is not a spatial-asmr sidecar" in result.stderr
    assert "Traceback" not in result.stderr
