"""The whole pipeline: render, normalise, limit, dither, write (render_to_file)."""

import dataclasses

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf
from scipy.signal import resample_poly

from spatial_asmr import OutputError, load_scene, render, render_to_file
from spatial_asmr.scene.resolved import scene_from_mapping

RATE = 48000


def _scene(tmp_path, normalize="none", duration=3.0, gain_db=0.0, distance=0.3):
    return scene_from_mapping({
        "duration": duration,
        "output": {"normalize": normalize},
        "sources": [
            {"name": "brush", "gain_db": gain_db,
             "generator": {"type": "hair_brush", "seed": 1},
             "trajectory": {"orbit": {"distance": distance, "period": 2}}},
            {"name": "taps", "gain_db": gain_db, "generator": {"type": "tapping", "seed": 2},
             "position": {"azimuth": 40, "elevation": 0, "distance": 0.6}},
        ]}, "test", tmp_path)


def _true_peak_db(audio):
    # independent of the package's meter: 16x polyphase oversampling
    return 20 * np.log10(np.abs(resample_poly(audio, 16, 1, axis=0)).max())


def _loudness(audio):
    return pyloudnorm.Meter(RATE, filter_class="DeMan").integrated_loudness(audio)


@pytest.mark.parametrize("bit_depth", [16, 24, "float"])
def test_render_returns_exactly_what_render_to_file_writes(tmp_path, bit_depth):
    scene = _scene(tmp_path, normalize={"loudness": -20})
    out = tmp_path / "out.wav"
    report = render_to_file(scene, out, bit_depth=bit_depth)
    written, rate = sf.read(out, dtype="float64")
    audio, rate2 = render(scene, bit_depth=bit_depth)
    assert rate == rate2 == RATE
    np.testing.assert_array_equal(written, audio)
    assert report.seconds == pytest.approx(3.0)
    assert list(tmp_path.iterdir()) == [out]  # no spool or partial file left


@pytest.mark.parametrize("target", [-23.0, -16.0])
def test_loudness_normalisation_reaches_the_target_measured_by_pyloudnorm(tmp_path, target):
    out = tmp_path / "out.wav"
    report = render_to_file(_scene(tmp_path, normalize={"loudness": target}), out)
    audio, _ = sf.read(out)
    assert _loudness(audio) == pytest.approx(target, abs=0.1)
    assert _true_peak_db(audio) <= -1.0 + 0.05
    assert report.loudness_lufs == pytest.approx(_loudness(audio), abs=0.01)
    assert report.peak_dbtp == pytest.approx(_true_peak_db(audio), abs=0.05)


def test_peak_normalisation_puts_the_true_peak_at_the_target(tmp_path):
    out = tmp_path / "out.wav"
    render_to_file(_scene(tmp_path, normalize={"peak": -3}), out, bit_depth="float")
    audio, _ = sf.read(out)
    assert _true_peak_db(audio) == pytest.approx(-3.0, abs=0.1)


def test_integer_output_of_a_hot_mix_is_limited_below_minus_one_dbtp(tmp_path):
    out = tmp_path / "out.wav"
    report = render_to_file(_scene(tmp_path, gain_db=20, distance=0.12), out)
    audio, _ = sf.read(out)
    raw, _ = render(_scene(tmp_path, gain_db=20, distance=0.12), master=False)
    assert _true_peak_db(raw.astype(float)) > 3  # it needed the limiter
    assert report.limiter.engaged and report.limiter.max_reduction_db > 3
    assert _true_peak_db(audio) <= -1.0 + 0.05


def test_a_quiet_mix_passes_the_mastering_unchanged_but_for_quantisation(tmp_path):
    scene = _scene(tmp_path, gain_db=-30)
    audio, _ = render(scene, bit_depth="float")
    raw, _ = render(scene, master=False)
    np.testing.assert_array_equal(audio, raw.astype(np.float32).astype(np.float64))
    report = render_to_file(scene, tmp_path / "q.wav")
    assert not report.limiter.engaged and report.gain_db == 0.0


def test_the_report_has_the_figures_a_dataset_needs(tmp_path):
    report = render_to_file(_scene(tmp_path), tmp_path / "out.flac", bit_depth=16)
    assert report.sample_rate == RATE and report.bit_depth == 16
    assert report.wall_seconds > 0 and report.realtime_factor == pytest.approx(
        report.seconds / report.wall_seconds)
    plain = report.as_dict()
    assert {"seconds", "sample_rate", "peak_dbtp", "loudness_lufs", "limiter",
            "wall_seconds", "realtime_factor"} <= set(plain)


def test_a_bad_destination_is_refused_before_rendering(tmp_path):
    scene = dataclasses.replace(_scene(tmp_path), duration=3600.0)  # would take minutes
    with pytest.raises(OutputError, match=r"cannot write .*out.wav: its folder .* does not exist"):
        render_to_file(scene, tmp_path / "missing" / "out.wav")
    with pytest.raises(OutputError, match="has suffix '.mp3' but must be one of"):
        render_to_file(scene, tmp_path / "out.mp3")
    (tmp_path / "dir.wav").mkdir()
    with pytest.raises(OutputError, match="is a folder but must be a file"):
        render_to_file(scene, tmp_path / "dir.wav")


def test_progress_reports_the_seconds_rendered(tmp_path):
    calls = []
    render_to_file(_scene(tmp_path), tmp_path / "out.wav",
                   progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (pytest.approx(3.0), pytest.approx(3.0))
    assert all(b[0] >= a[0] for a, b in zip(calls, calls[1:], strict=False))


@pytest.mark.parametrize("normalize", ["none", {"loudness": -20}])
def test_progress_is_told_on_the_calling_thread(tmp_path, normalize):
    # the render and the mastering run on threads of their own; a callback
    # (a GUI's, say) is called where render_to_file was
    import threading

    threads = set()

    def progress(done, total):
        threads.add(threading.get_ident())

    render_to_file(_scene(tmp_path, normalize=normalize), tmp_path / "out.wav", threads=2,
                   progress=progress)
    assert threads == {threading.get_ident()}


def test_the_thread_count_does_not_change_a_byte(tmp_path):
    scene = load_scene("scenes/whisper_orbit.yaml")
    scene = dataclasses.replace(scene, duration=2.0)
    one = render_to_file(scene, tmp_path / "one.wav", threads=1)
    two = render_to_file(scene, tmp_path / "two.wav", threads=2)
    assert one.path.read_bytes() == two.path.read_bytes()


def test_importing_the_render_module_leaves_spatial_asmr_render_a_function():
    import spatial_asmr
    import spatial_asmr.renderer.plan  # noqa: F401

    assert callable(spatial_asmr.render)


def test_freshly_compiled_kernels_render_the_same_bytes_as_cached_ones(tmp_path):
    # a first run after installing compiles every numba kernel; it must give
    # what a later run with the cached kernels gives (no fast-math contraction
    # or reassociation that a fresh and a cached build would round apart)
    import os
    import subprocess
    import sys

    text = """
duration: 1.0
sources:
  - name: brush
    generator: {type: hair_brush, seed: 1}
    trajectory: {orbit: {distance: 0.3, period: 1}}
  - name: taps
    generator: {type: tapping, seed: 2}
    position: {azimuth: 40, elevation: 0, distance: 0.6}
"""
    (tmp_path / "scene.yaml").write_text(text)
    cached = tmp_path / "cached.wav"
    render_to_file(load_scene(tmp_path / "scene.yaml"), cached, bit_depth="float")
    fresh = tmp_path / "fresh.wav"
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"))
    result = subprocess.run([sys.executable, "-m", "spatial_asmr", "render",
                             str(tmp_path / "scene.yaml"), "-o", str(fresh), "--bit-depth",
                             "float", "-q"], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert any((tmp_path / "numba-cache").rglob("*.nbi"))  # it did compile afresh
    assert fresh.read_bytes() == cached.read_bytes()


def test_float_wav_output_carries_no_write_time(tmp_path):
    # libsndfile stamps the time of writing into a float WAV's PEAK chunk
    out = tmp_path / "out.wav"
    render_to_file(_scene(tmp_path, duration=0.5), out, bit_depth="float")
    data = out.read_bytes()
    at = data.index(b"PEAK")
    assert data[at + 12:at + 16] == b"\0\0\0\0"
    assert sf.info(out).subtype == "FLOAT"


@pytest.mark.parametrize("name, lufs", [("spotify", -14.0), ("youtube", -14.0),
                                        ("apple_music", -16.0), ("podcast", -16.0),
                                        ("ebu_r128", -23.0)])
@pytest.mark.parametrize("bit_depth", [24, "float"])
def test_a_platform_preset_reaches_its_loudness_below_its_true_peak_ceiling(
        tmp_path, name, lufs, bit_depth):
    # a loud, peaky mix (a source 10 cm from the head centre): at -14 LUFS its peaks
    # need the limiter, float output too, and the loudness must still be met
    out = tmp_path / "out.wav"
    scene = _scene(tmp_path, normalize={"loudness": name}, distance=0.1)
    report = render_to_file(scene, out, bit_depth=bit_depth)
    audio, _ = sf.read(out)
    assert _loudness(audio) == pytest.approx(lufs, abs=0.1)
    assert _true_peak_db(audio) <= -1.0 + 0.05
    assert report.normalize.preset == name and report.normalize.ceiling == -1.0


def test_a_preset_is_named_in_the_report_and_kept_in_the_resolved_scene(tmp_path):
    from spatial_asmr.cli import describe_report
    from spatial_asmr.scene.resolved import resolved_scene

    scene = _scene(tmp_path, normalize={"loudness": "podcast"})
    report = render_to_file(scene, tmp_path / "out.wav")
    assert any("normalised to loudness -16 LUFS (podcast, true peak below -1 dBTP)" in line
               for line in describe_report(report))
    assert resolved_scene(scene)["output"]["normalize"] == {"loudness": "podcast"}


def test_an_unknown_preset_names_the_presets(tmp_path):
    from spatial_asmr import SceneError

    path = tmp_path / "scene.yaml"
    path.write_text("output: {normalize: {loudness: tiktok}}\nsources:\n"
                    "  - {generator: {type: tapping, seed: 1, duration: 1},\n"
                    "     position: {azimuth: 0, elevation: 0, distance: 1}}\n")
    with pytest.raises(SceneError, match="output.normalize.loudness is 'tiktok' but must be a "
                                         "number of LUFS from -70 to -5 or one of spotify, "
                                         "youtube, apple_music, podcast, ebu_r128"):
        load_scene(path)
