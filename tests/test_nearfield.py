"""Near-field rendering: DVF, parallax layers, proximity law, Doppler, sphere HRTFs."""

import numpy as np
import pysofaconventions
import pytest
import soundfile as sf

from scenes import raw_mix, write_scene
from spatial_asmr import SpatialAsmrWarning, load_hrtf, read_sofa
from spatial_asmr.hrtf.spatializer import Spatializer, effective_distance
from spatial_asmr.hrtf.sphere import write_sphere_sofa
from spatial_asmr.testing import motion_artefact_level

RATE = 48000


def render(scene, dtype=np.float32):
    """The raw mix (these tests check the near-field model, not the mastering)."""
    return raw_mix(scene, dtype)


def _scene(tmp_path, body, name="scene.yaml"):
    return write_scene(tmp_path, body, name)


@pytest.fixture
def noise(tmp_path):
    rng = np.random.default_rng(11)
    sf.write(tmp_path / "noise.wav", 0.05 * rng.standard_normal(3 * RATE), RATE)
    return tmp_path / "noise.wav"


def _static(tmp_path, azimuth, distance, near_field=True, extra=""):
    return _scene(tmp_path, f"""
duration: 0.5
render: {{near_field: {str(near_field).lower()}, distance_gain: false{extra}}}
sources:
  - file: noise.wav
    position: {{azimuth: {azimuth}, elevation: 0, distance: {distance}}}
""")


def test_a_source_at_the_measurement_distance_is_unchanged_by_near_field(tmp_path, noise):
    on, _ = render(_static(tmp_path, 40, 1.4, True), np.float64)
    off, _ = render(_static(tmp_path, 40, 1.4, False), np.float64)
    np.testing.assert_allclose(on, off, rtol=0, atol=1e-12)


def test_interaural_level_difference_grows_as_a_lateral_source_approaches(tmp_path, noise):
    ilds = []
    for distance in (1.4, 1.0, 0.5, 0.25, 0.12):
        audio, _ = render(_static(tmp_path, 90, distance), np.float64)
        level = 10 * np.log10(np.mean(audio ** 2, axis=0))
        ilds.append(level[0] - level[1])
    assert (np.diff(ilds) > 0).all()
    assert ilds[-1] - ilds[0] > 6


def test_without_near_field_the_ild_does_not_depend_on_distance(tmp_path, noise):
    ilds = []
    for distance in (1.4, 0.25):
        audio, _ = render(_static(tmp_path, 90, distance, False), np.float64)
        level = 10 * np.log10(np.mean(audio ** 2, axis=0))
        ilds.append(level[0] - level[1])
    assert ilds[0] == pytest.approx(ilds[1], abs=1e-9)


def test_ear_to_ear_sweep_close_to_the_head_has_no_level_steps(tmp_path, noise):
    # azimuth 90 -> -90 through the front, 5 cm from the head surface, 2 s.
    radius = 0.0875 + 0.05
    moving, _ = render(_scene(tmp_path, f"""
duration: 2
sources:
  - file: noise.wav
    trajectory:
      - {{time: 0, azimuth: 90, elevation: 0, distance: {radius}}}
      - {{time: 2, azimuth: -90, elevation: 0, distance: {radius}}}
""", "sweep.yaml"), np.float64)
    window = int(0.05 * RATE)
    n = len(moving) // window
    deviation = []
    for k in range(n):
        # what the geometry implies: the same noise from a static source at
        # the window's middle position
        t = (k + 0.5) * 0.05
        static, _ = render(_scene(tmp_path, f"""
duration: 2
sources:
  - file: noise.wav
    position: {{azimuth: {90 - 90 * t}, elevation: 0, distance: {radius}}}
""", "static.yaml"), np.float64)
        seg = slice(k * window, (k + 1) * window)
        deviation.append(10 * np.log10(np.mean(moving[seg] ** 2, axis=0)
                                       / np.mean(static[seg] ** 2, axis=0)))
    steps = np.abs(np.diff(deviation, axis=0))
    assert steps.max() < 1.0


def test_motion_artefacts_stay_below_minus_70_db_with_near_field(tmp_path):
    t = np.arange(3 * RATE) / RATE
    sf.write(tmp_path / "sine.wav", 0.3 * np.sin(2 * np.pi * 1000 * t), RATE)
    audio, _ = render(_scene(tmp_path, """
duration: 3
sources:
  - file: sine.wav
    trajectory:
      - {time: 0, azimuth: 0, elevation: 0, distance: 0.2}
      - {time: 3, azimuth: 1080, elevation: 0, distance: 0.2}
"""))
    assert motion_artefact_level(audio, RATE) < -70  # measured -83 dB


def _peak_frequency(x):
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)), 16 * len(x)))
    return np.fft.rfftfreq(16 * len(x), 1 / RATE)[np.argmax(spectrum)]


@pytest.mark.parametrize(("doppler", "expected"), [(True, 1000 * (1 - 6.0 / 343.0)),
                                                    (False, 1000.0)])
def test_doppler_shifts_a_receding_source_only_when_enabled(tmp_path, doppler, expected):
    t = np.arange(2 * RATE) / RATE
    sf.write(tmp_path / "tone.wav", 0.3 * np.sin(2 * np.pi * 1000 * t), RATE)
    audio, _ = render(_scene(tmp_path, f"""
duration: 1.5
render: {{doppler: {str(doppler).lower()}, distance_gain: false}}
sources:
  - file: tone.wav
    trajectory:
      - {{time: 0, azimuth: 0, elevation: 0, distance: 2.0}}
      - {{time: 1.5, azimuth: 0, elevation: 0, distance: 11.0}}
"""), np.float64)
    # the source recedes at 6 m/s: f' = f (1 - v / c) for a moving source...
    # for a receding source c / (c + v); both agree to 0.03 Hz here
    measured = _peak_frequency(audio[int(0.3 * RATE):int(1.3 * RATE), 0])
    assert measured == pytest.approx(expected, abs=0.5)


_MEASURED = ", hrtf_level: measured"


def test_sources_inside_the_head_are_clamped_with_a_warning(tmp_path, noise):
    with pytest.warns(SpatialAsmrWarning, match="rendered at that distance"):
        inside, _ = render(_static(tmp_path, 90, 0.05, extra=_MEASURED), np.float64)
    # no warning; the set's own level, so that only the geometry differs
    at_limit, _ = render(_static(tmp_path, 90, 0.0975, extra=_MEASURED), np.float64)
    assert np.isfinite(inside).all()
    # both are rendered within a few millimetres of the closest approach
    levels = [10 * np.log10(np.mean(a ** 2, axis=0)) for a in (inside, at_limit)]
    np.testing.assert_allclose(levels[0], levels[1], atol=1.0)


def test_proximity_clamp_is_smooth_and_exact_far_from_the_head():
    r = np.linspace(0.0, 0.3, 3001)
    eff = effective_distance(r, 0.0975)
    assert (eff >= 0.0975).all()
    assert (np.diff(eff) > 0).all()
    assert eff[-1] == pytest.approx(0.3, abs=1e-12)
    assert np.abs(np.diff(eff, 2)).max() < 1e-4  # no kinks


def test_multi_distance_set_blends_its_two_nearest_layers(tmp_path):
    path = tmp_path / "sphere.sofa"
    write_sphere_sofa(path, RATE, distances=(0.25, 1.0), step=15.0)
    checker = pysofaconventions.SOFASimpleFreeFieldHRIR(str(path), "r")
    try:
        assert checker.isValid()
    finally:
        checker.close()
    hrtf = load_hrtf(path, RATE)
    assert list(hrtf.distances) == [0.25, 1.0]
    spat = Spatializer(hrtf, "barycentric", near_field=False)
    index, weights, _, _ = spat.query(np.array([[0.0, 0.5, 0.0]]))
    rows = index[0, 0][weights[0, 0] > 1e-9]
    assert sorted(hrtf.positions[rows, 2]) == [0.25, 1.0]
    # log-distance blend: 0.5 m is half-way between 0.25 and 1 m
    np.testing.assert_allclose(weights[0, 0][weights[0, 0] > 1e-9], [0.5, 0.5])
    # at a measured distance the measurement is used alone, exactly
    index, weights, _, _ = spat.query(np.array([[0.0, 0.25, 0.0]]))
    measured = read_sofa(path)
    row = index[0, 0, np.argmax(weights[0, 0])]
    assert weights[0, 0].max() == pytest.approx(1.0)
    np.testing.assert_allclose(hrtf.raw[row], measured.ir[row], atol=1e-12)


def test_sphere_hrtf_renders_any_distance_with_the_near_ear_louder(tmp_path, noise):
    ilds = []
    for distance in (2.0, 0.3, 0.12):
        audio, _ = render(_scene(tmp_path, f"""
hrtf: sphere
duration: 0.5
render: {{distance_gain: false}}
sources:
  - file: noise.wav
    position: {{azimuth: 60, elevation: 0, distance: {distance}}}
"""), np.float64)
        level = 10 * np.log10(np.mean(audio ** 2, axis=0))
        ilds.append(level[0] - level[1])
    assert ilds[0] > 3
    assert (np.diff(ilds) > 0).all()


def test_synthesised_layers_are_cached_on_disk_and_give_the_same_render(tmp_path, monkeypatch,
                                                                       noise):
    from spatial_asmr.hrtf import nearfield
    from spatial_asmr.hrtf.sets import _load_cached

    monkeypatch.setenv("SPATIAL_ASMR_CACHE", str(tmp_path / "cache"))
    _load_cached.cache_clear()
    nearfield.TABLES.clear()
    first, _ = render(_static(tmp_path, 70, 0.3), np.float64)
    stored = list((tmp_path / "cache").glob("nearfield-*.npy"))
    assert len(stored) == 1
    nearfield.TABLES.clear()  # forget the in-memory copy: read the file
    calls = []
    original = nearfield._synthesise
    monkeypatch.setattr(nearfield, "_synthesise",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    second, _ = render(_static(tmp_path, 70, 0.3), np.float64)
    assert calls == []  # the fast path really ran
    np.testing.assert_array_equal(first, second)
    _load_cached.cache_clear()
    nearfield.TABLES.clear()
