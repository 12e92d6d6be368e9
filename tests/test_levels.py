"""Levels that do not depend on the HRTF set: reference distance and HRTF level.

The references are independent of the renderer: the frontal response's
energy read from the SOFA file with netCDF4, ffmpeg's sofalizer, pyloudnorm's
loudness meter and numpy energies of the input files.
"""

import shutil
import subprocess
import sys

import netCDF4
import numpy as np
import pyloudnorm
import pytest
import soundfile as sf

from scenes import raw_mix, write_scene
from spatial_asmr import read_sofa, write_sofa
from spatial_asmr.hrtf.sets import bundled_hrtf_path

RATE = 44100  # the bundled KEMAR's


def _frontal_energy(path):
    """Energy over both ears of the measurement straight ahead (azimuth 0,
    elevation 0, the farthest distance), read from the file itself."""
    with netCDF4.Dataset(path) as data:
        ir = np.asarray(data["Data.IR"][:], dtype=np.float64)
        az, el, r = np.asarray(data["SourcePosition"][:], dtype=np.float64).T
    ahead = np.nonzero((np.abs(az % 360) < 1e-6) & (np.abs(el) < 1e-6) & (r == r.max()))[0]
    assert len(ahead) == 1
    return float(np.sum(ir[ahead[0]] ** 2))


@pytest.fixture(scope="module")
def noise(tmp_path_factory):
    folder = tmp_path_factory.mktemp("levels")
    rng = np.random.default_rng(11)
    for name in ("a", "b"):
        sf.write(folder / f"{name}.wav", 0.05 * rng.standard_normal(4 * RATE), RATE,
                 subtype="FLOAT")
    return folder


def _level_db(audio, source):
    """Each ear's energy relative to the input file's, dB, mean over the ears."""
    ears = np.sum(np.square(audio, dtype=np.float64), axis=0)
    return 10 * np.log10(ears.mean() / np.sum(np.square(source)))


def _still(folder, render, distance, extra=""):
    return write_scene(folder, f"""
sample_rate: {RATE}
render: {render}
sources:
  - file: a.wav
    position: {{azimuth: 0, elevation: 0, distance: {distance}}}
{extra}""", "still.yaml")


def test_a_source_at_the_sets_distance_is_sofalizer_scaled_to_a_unit_frontal_response(
        tmp_path):
    assert shutil.which("ffmpeg"), "ffmpeg is needed as the reference (.ci/run installs it)"
    rng = np.random.default_rng(3)
    source = tmp_path / "noise.wav"
    sf.write(source, 0.1 * rng.standard_normal(RATE // 2), RATE, subtype="FLOAT")
    sofa = bundled_hrtf_path("kemar")
    reference = tmp_path / "sofalizer.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(source), "-af",
         f"sofalizer=sofa={sofa}:type=time:rotation=40:elevation=10:normalize=0",
         "-c:a", "pcm_f32le", str(reference)], check=True)
    scene = write_scene(tmp_path, f"""
sample_rate: {RATE}
render: {{interpolation: nearest, reference_distance: 1.4}}
sources:
  - file: noise.wav
    position: {{azimuth: 40, elevation: 10, distance: 1.4}}
""")
    ours, _ = raw_mix(scene, np.float64)
    theirs, _ = sf.read(reference)
    # sofalizer lowers its output by 3 dB per input channel (its gain option
    # at 0 dB); undone, then the frontal normalisation applied
    theirs = theirs * 10 ** (3 / 20) * np.sqrt(2 / _frontal_energy(sofa))
    corr = np.correlate(theirs[:4096, 0], ours[:4096, 0], "full")
    lag = int(np.argmax(np.abs(corr))) - 4095
    n = min(len(ours), len(theirs))
    a = theirs[max(lag, 0):n]
    b = ours[max(-lag, 0):n - max(lag, 0)][:len(a)]
    # no gain fitted: the level is the normalised set's
    assert np.abs(a - b).max() / np.abs(a).max() < 1e-5


def test_measured_level_keeps_the_files_responses(tmp_path, noise):
    audio, _ = raw_mix(_still(noise, "{hrtf_level: measured, reference_distance: 1.4}", 1.4),
                       np.float64)
    source, _ = sf.read(noise / "a.wav")
    expected = 10 * np.log10(_frontal_energy(bundled_hrtf_path("kemar")) / 2)
    assert abs(_level_db(audio, source) - expected) < 0.03
    audio, _ = raw_mix(_still(noise, "{hrtf_level: frontal, reference_distance: 1.4}", 1.4),
                       np.float64)
    assert abs(_level_db(audio, source)) < 0.03


@pytest.mark.parametrize("near_field", ["true", "false"])
@pytest.mark.parametrize("distance", [0.15, 0.5, 1.4, 3.0])
def test_without_distance_gain_a_frontal_source_plays_at_the_files_level_at_any_distance(
        noise, near_field, distance):
    audio, _ = raw_mix(_still(noise, f"{{distance_gain: false, near_field: {near_field}}}",
                              distance), np.float64)
    source, _ = sf.read(noise / "a.wav")
    assert abs(_level_db(audio, source)) < 0.05


@pytest.mark.parametrize(("reference", "distance"), [
    (1.0, 1.0), (0.3, 0.3), (2.0, 2.0), (2.0, 4.0), (1.5, 6.0)])
def test_with_distance_gain_a_source_plays_at_its_files_level_at_the_reference_distance(
        noise, reference, distance):
    audio, _ = raw_mix(_still(noise, f"{{reference_distance: {reference}}}", distance),
                       np.float64)
    source, _ = sf.read(noise / "a.wav")
    # 6 dB down per doubling: beyond KEMAR's 1.4 m the response no longer
    # changes with distance
    assert abs(_level_db(audio, source) - 20 * np.log10(reference / distance)) < 0.05


def test_a_sources_own_reference_distance_overrides_the_scenes(noise):
    scene = write_scene(noise, f"""
sample_rate: {RATE}
render: {{reference_distance: 1.0}}
sources:
  - file: a.wav
    reference_distance: 3.0
    position: {{azimuth: 0, elevation: 0, distance: 3.0}}
""", "own.yaml")
    assert scene.sources[0].reference_distance == 3.0
    audio, _ = raw_mix(scene, np.float64)
    source, _ = sf.read(noise / "a.wav")
    assert abs(_level_db(audio, source)) < 0.05


def _orbit_and_still(folder, hrtf, level):
    return write_scene(folder, f"""
sample_rate: {RATE}
hrtf: {hrtf}
render: {{hrtf_level: {level}}}
sources:
  - file: a.wav
    trajectory: {{orbit: {{distance: 0.5, period: 4}}}}
  - file: b.wav
    position: {{azimuth: 30, elevation: 0, distance: 1.0}}
""", "orbit.yaml")


def test_one_scenes_loudness_hardly_depends_on_the_hrtf_set(noise):
    # a third set: KEMAR's responses 12 dB down, as if measured at 3 m
    kemar = read_sofa(bundled_hrtf_path("kemar"))
    positions = kemar.source_positions.copy()
    positions[:, 2] = 3.0
    quiet = noise / "quiet_far.sofa"
    write_sofa(quiet, 0.25 * kemar.ir, positions, kemar.sample_rate)
    meter = pyloudnorm.Meter(RATE)
    loudness = {}
    for level in ("frontal", "measured"):
        for hrtf in ("kemar", "sphere", quiet.name):
            audio, _ = raw_mix(_orbit_and_still(noise, hrtf, level), np.float64)
            loudness[level, hrtf] = meter.integrated_loudness(audio)
    frontal = [loudness["frontal", h] for h in ("kemar", "sphere", quiet.name)]
    assert max(frontal) - min(frontal) <= 1.0
    # the normalisation does it: the measured levels are far apart
    assert loudness["measured", "kemar"] - loudness["measured", quiet.name] > 10


@pytest.mark.parametrize(("render", "own", "expected"), [
    ("{}", "", "a source plays at its file's level straight ahead at 1 m"),
    ("{reference_distance: 0.5}", "    reference_distance: 2\n",
     "a source plays at its file's level straight ahead at 0.5 m (1 source at its own: 2 m)"),
    ("{distance_gain: false}", "",
     "a source plays at its file's level straight ahead at any distance (distance_gain: false)"),
    ("{hrtf_level: measured, distance_gain: false}", "",
     "the HRTF file's own level (hrtf_level: measured)"),
])
def test_info_says_what_a_level_in_the_scene_means(noise, render, own, expected):
    path = noise / "info.yaml"
    path.write_text(f"""
render: {render}
sources:
  - file: a.wav
{own}    position: {{azimuth: 0, elevation: 0, distance: 1}}
""")
    done = subprocess.run([sys.executable, "-m", "spatial_asmr", "info", str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"  levels       {expected}\n" in done.stdout
