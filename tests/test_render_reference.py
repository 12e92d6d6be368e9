"""Rendering against independent references: ffmpeg's sofalizer and the
measured HRIRs themselves."""

import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

from scenes import write_scene
from spatial_asmr import read_sofa, render
from spatial_asmr.hrtf.sets import bundled_hrtf_path

KEMAR_RATE = 44100


def _scene(tmp_path, body, name="scene.yaml"):
    return write_scene(tmp_path, body, name)


def _static_scene(tmp_path, source, azimuth, elevation, interpolation="nearest"):
    return _scene(tmp_path, f"""
sample_rate: {KEMAR_RATE}
render: {{interpolation: {interpolation}, distance_gain: false, hrtf_level: measured}}
sources:
  - file: {source.name}
    position: {{azimuth: {azimuth}, elevation: {elevation}, distance: 1.4}}
""")


@pytest.fixture(scope="module")
def kemar():
    return read_sofa(bundled_hrtf_path("kemar"))


def _nearest_index(sofa, azimuth, elevation):
    az, el = np.radians(sofa.source_positions[:, 0]), np.radians(sofa.source_positions[:, 1])
    grid = np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], -1)
    a, e = np.radians(azimuth), np.radians(elevation)
    query = np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])
    cosines = grid @ query
    order = np.argsort(cosines)[::-1]
    # the tests use directions with a clear nearest neighbour (no ties)
    assert cosines[order[0]] - cosines[order[1]] > 1e-6
    return order[0]


# Directions with a unique nearest measurement (KEMAR rings at -30 degrees
# have 6-degree steps, so 135 would be a tie between 132 and 138).
DIRECTIONS = [(0, 0), (30, 0), (90, 0), (-45, 20), (137, -30), (200, 40), (-100, -40),
              (12, 63)]


@pytest.mark.parametrize(("azimuth", "elevation"), DIRECTIONS)
def test_delta_through_nearest_mode_returns_the_nearest_measured_hrir_exactly(
        tmp_path, kemar, azimuth, elevation):
    delta = np.zeros(2048)
    delta[0] = 1.0
    source = tmp_path / "delta.wav"
    sf.write(source, delta, KEMAR_RATE, subtype="DOUBLE")
    audio, rate = render(_static_scene(tmp_path, source, azimuth, elevation), np.float64,
                         master=False)
    expected = kemar.ir[_nearest_index(kemar, azimuth, elevation)]
    assert rate == KEMAR_RATE
    n = expected.shape[-1]
    np.testing.assert_allclose(audio[:n].T, expected, rtol=0, atol=1e-12)
    assert np.abs(audio[n:]).max() < 1e-12


@pytest.mark.parametrize(("azimuth", "elevation"), DIRECTIONS)
def test_static_nearest_source_equals_ffmpeg_sofalizer_up_to_gain_and_lag(
        tmp_path, azimuth, elevation):
    assert shutil.which("ffmpeg"), "ffmpeg is needed as the reference (.ci/run installs it)"
    rng = np.random.default_rng(7)
    noise = 0.1 * rng.standard_normal(KEMAR_RATE // 2)
    source = tmp_path / "noise.wav"
    sf.write(source, noise, KEMAR_RATE, subtype="FLOAT")
    reference = tmp_path / "sofalizer.wav"
    sofa = bundled_hrtf_path("kemar")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(source), "-af",
         f"sofalizer=sofa={sofa}:type=time:rotation={azimuth}:elevation={elevation}"
         ":normalize=0", "-c:a", "pcm_f32le", str(reference)], check=True)
    ours, _ = render(_static_scene(tmp_path, source, azimuth, elevation), master=False)
    theirs, _ = sf.read(reference)
    n = min(len(ours), len(theirs))
    # lag by cross-correlation, then the least-squares gain
    corr = np.correlate(theirs[:4096, 0], ours[:4096, 0], "full")
    lag = int(np.argmax(np.abs(corr))) - 4095
    a = theirs[max(lag, 0):n]
    b = ours[max(-lag, 0):n - max(lag, 0)][:len(a)]
    gain = np.sum(a * b) / np.sum(b * b)
    assert np.abs(a - gain * b).max() / np.abs(a).max() < 1e-5
