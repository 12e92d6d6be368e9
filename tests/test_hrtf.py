"""Tests of spatial_asmr.hrtf.sets: minimum phase, onsets, direction lookup, interpolation."""

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from spatial_asmr.errors import HrtfError
from spatial_asmr.hrtf.preprocess import resample_ir
from spatial_asmr.hrtf.sets import (
    HrtfSet,
    bundled_hrtf_path,
    load_hrtf,
    minimum_phase,
    onset_delays,
)
from spatial_asmr.hrtf.sofa import read_sofa

KEMAR_RATE = 44100


def unit(azimuth, elevation):
    """Unit vectors (x forward, y left, z up) for azimuth/elevation in degrees."""
    az, el = np.radians(azimuth), np.radians(elevation)
    return np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=-1)


def random_directions(rng, n):
    """Uniformly distributed directions as (azimuth, elevation) in degrees."""
    v = rng.standard_normal((n, 3))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return np.degrees(np.arctan2(v[:, 1], v[:, 0])) % 360.0, np.degrees(np.arcsin(v[:, 2]))


def polynomial(roots):
    """Real FIR taps with the given zeros (conjugate pairs added)."""
    roots = np.asarray(roots)
    return np.real(np.poly(np.concatenate([roots, roots.conj()])))


def level_db(h, n_fft=8192):
    return 20 * np.log10(np.maximum(np.abs(np.fft.rfft(h, n_fft, axis=-1)), 1e-300))


def magnitude_error_db(original, processed, floor_db, n_fft=8192):
    """Largest |level difference| where the original is above floor_db of its peak."""
    reference = level_db(original, n_fft)
    relevant = reference > reference.max(axis=-1, keepdims=True) + floor_db
    return np.max(np.abs(level_db(processed, n_fft) - reference)[relevant])


def ring(azimuths, distance=1.0, elevation=0.0):
    az = np.asarray(azimuths, dtype=float)
    return np.column_stack([az, np.full(len(az), elevation), np.full(len(az), distance)])


# Zeros inside and outside the unit circle (a mixed-phase filter).
ZEROS = 0.5 * np.exp(0.3j), 0.8 * np.exp(1.0j), 1.3 * np.exp(2.0j), 1.6 * np.exp(2.6j), \
    2.0 * np.exp(0.7j), 0.7 * np.exp(2.9j)


# -- minimum phase and onsets --------------------------------------------------------


def test_minimum_phase_keeps_the_magnitude_within_0_01_db_above_minus_60_db():
    h = polynomial(ZEROS)

    m = minimum_phase(h)

    assert m.shape == h.shape
    assert magnitude_error_db(h, m, floor_db=-60.0) < 0.01


def test_minimum_phase_reflects_the_zeros_outside_the_unit_circle_inside():
    h = polynomial(ZEROS)

    zeros = np.roots(minimum_phase(h))

    expected = [z if abs(z) < 1 else 1 / np.conj(z) for z in ZEROS]
    expected = np.concatenate([expected, np.conj(expected)])
    assert np.all(np.abs(zeros) < 1.0)
    for z in expected:
        assert np.min(np.abs(zeros - z)) < 1e-8


def test_minimum_phase_front_loads_the_energy():
    # Of all filters with one magnitude, the minimum-phase one has the most
    # energy in its first n taps, for every n.
    h = polynomial(ZEROS)

    m = minimum_phase(h)

    assert np.sum(m ** 2) == pytest.approx(np.sum(h ** 2), rel=1e-9)
    assert np.all(np.cumsum(m ** 2) >= np.cumsum(h ** 2) - 1e-12 * np.sum(h ** 2))
    assert np.cumsum(m ** 2)[0] > np.cumsum(h ** 2)[0]


def test_minimum_phase_works_on_the_last_axis_of_stacked_responses(rng):
    h = rng.standard_normal((3, 2, 24)) * np.exp(-np.arange(24) / 4)

    m = minimum_phase(h)

    assert m.shape == h.shape
    assert_allclose(m[1, 0], minimum_phase(h[1, 0]), rtol=0, atol=1e-12)


def test_minimum_phase_keeps_the_magnitude_of_every_kemar_response_within_0_1_db(kemar_path):
    # Within 40 dB of each response's peak (measured on a grid twice as fine
    # as the default FFT).  KEMAR's responses have zeros within 1e-4 of the
    # unit circle, so their cepstra are long and alias with the default
    # n_fft = 4096 (errors up to 2.8 dB); the default keeps them below 0.08 dB,
    # at the file's rate and resampled to 48 kHz (557 taps: n_fft = 36000).
    data = read_sofa(kemar_path)
    for ir in (data.ir, resample_ir(data.ir, data.sample_rate, 48000)):
        ir = ir.reshape(-1, ir.shape[-1])

        m = minimum_phase(ir)

        error_db = magnitude_error_db(ir, m, floor_db=-40.0)
        assert error_db < 0.08


@pytest.mark.parametrize("delay", [0.0, 0.3, 2.5, 7.77, 20.125])
def test_onset_delays_recover_the_delay_of_a_shifted_minimum_phase_filter(delay):
    # A low-pass minimum-phase filter (all zeros inside), delayed by a linear
    # phase on a long FFT, then cut to n taps.
    n, n_fft = 128, 4096
    h = np.zeros(n)
    lowpass = np.real(np.poly(np.concatenate([np.full(4, -0.9), 0.5 * np.exp([0.5j, -0.5j])])))
    h[:len(lowpass)] = lowpass
    spectrum = np.fft.rfft(h, n_fft) * np.exp(-2j * np.pi * np.fft.rfftfreq(n_fft) * delay)
    shifted = np.fft.irfft(spectrum, n_fft)[:n]

    onset = onset_delays(shifted, h)

    assert onset == pytest.approx(delay, abs=0.05)


def test_onset_delays_work_per_response_of_a_stack():
    n = 64
    h = np.zeros(n)
    h[:3] = [1.0, 0.5, 0.25]
    stack = np.stack([np.roll(h, k) for k in (0, 4, 9)])

    onsets = onset_delays(stack, np.broadcast_to(h, stack.shape))

    assert_allclose(onsets, [0.0, 4.0, 9.0], rtol=0, atol=0.05)


# -- lookup on KEMAR ------------------------------------------------------------------


def test_nearest_lookup_returns_the_measured_direction_with_the_largest_dot_product(
        kemar_44k, rng):
    az, el = random_directions(rng, 500)
    measured = unit(kemar_44k.positions[:, 0], kemar_44k.positions[:, 1])

    index, weights = kemar_44k.lookup(az, el, 1.4, interpolation="nearest")

    assert_array_equal(index[:, 0], np.argmax(unit(az, el) @ measured.T, axis=1))
    assert_array_equal(weights, np.broadcast_to([1.0, 0.0, 0.0], weights.shape))


def check_barycentric(hrtf, az, el, index, weights):
    """Weights >= 0 summing to 1 whose vertex blend points at the query."""
    measured = unit(hrtf.positions[:, 0], hrtf.positions[:, 1])
    assert index.shape == weights.shape == (len(az), 3)
    assert np.all((index >= 0) & (index < len(measured)))
    assert np.all(weights >= 0.0)
    assert_allclose(weights.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    blend = np.einsum("qk,qkc->qc", weights, measured[index])
    blend /= np.linalg.norm(blend, axis=1, keepdims=True)
    query = unit(az, el)
    assert_allclose(np.cross(blend, query), 0.0, rtol=0, atol=1e-9)
    assert np.all(np.einsum("qc,qc->q", blend, query) > 0.0)


def test_barycentric_weights_are_a_convex_blend_that_points_at_the_query(kemar_44k, rng):
    az, el = random_directions(rng, 500)

    index, weights = kemar_44k.lookup(az, el, 1.4)

    check_barycentric(kemar_44k, az, el, index, weights)


def test_barycentric_lookup_at_a_measured_direction_gives_it_weight_1(kemar_44k):
    az, el = kemar_44k.positions[:, 0], kemar_44k.positions[:, 1]

    index, weights = kemar_44k.lookup(az, el, 1.4)

    heaviest = np.argmax(weights, axis=1)
    rows = np.arange(len(az))
    assert_array_equal(index[rows, heaviest], rows)
    assert_allclose(weights[rows, heaviest], 1.0, rtol=0, atol=1e-9)


def test_every_direction_gets_an_answer_including_below_kemars_hole(kemar_44k):
    grid_az, grid_el = np.meshgrid(np.arange(0.0, 360.0, 7.5), np.arange(-90.0, 90.1, 5.0))
    az, el = grid_az.ravel(), grid_el.ravel()
    assert np.any(el == -90.0) and np.any(el < -40.0)

    index, weights = kemar_44k.lookup(az, el, 1.4)

    check_barycentric(kemar_44k, az, el, index, weights)


def test_lookup_does_not_depend_on_the_order_of_the_queries(kemar_44k, rng):
    # The triangle search starts from the previous answer; jumps must not matter.
    az, el = random_directions(rng, 200)
    index, weights = kemar_44k.lookup(az, el, 1.4)

    order = rng.permutation(200)
    index_shuffled, weights_shuffled = kemar_44k.lookup(az[order], el[order], 1.4)

    blend = np.einsum("qk,qkt->qt", weights, kemar_44k.minphase[index, 0])
    shuffled = np.einsum("qk,qkt->qt", weights_shuffled, kemar_44k.minphase[index_shuffled, 0])
    assert_allclose(shuffled, blend[order], rtol=0, atol=1e-9)


# -- lookup on hand-made sets -------------------------------------------------------------


@pytest.fixture(scope="module")
def horizontal_set():
    """72 azimuths (5 degree steps) at elevation 0, given in a shuffled order."""
    order = np.random.default_rng(5).permutation(72)
    ir = np.random.default_rng(6).standard_normal((72, 2, 16))
    return HrtfSet(ir, ring(order * 5.0), 48000, name="horizontal")


@pytest.mark.parametrize(("azimuth", "neighbours", "expected"), [
    (12.5, (10.0, 15.0), (0.5, 0.5)),
    (42.0, (40.0, 45.0), (0.6, 0.4)),
    (90.0, (90.0, 95.0), (1.0, 0.0)),
    (357.5, (355.0, 0.0), (0.5, 0.5)),
    (359.0, (355.0, 0.0), (0.2, 0.8)),
    (1.0, (0.0, 5.0), (0.8, 0.2)),
    (-1.0, (355.0, 0.0), (0.2, 0.8)),
    (721.0, (0.0, 5.0), (0.8, 0.2)),
])
def test_a_horizontal_set_interpolates_linearly_between_neighbouring_azimuths(
        horizontal_set, azimuth, neighbours, expected):
    index, weights = horizontal_set.lookup(azimuth, 0.0, 1.0)

    blend = dict.fromkeys(range(0, 360, 5), 0.0)
    for i, w in zip(index[0], weights[0], strict=True):
        blend[round(horizontal_set.positions[i, 0])] += w
    for az, w in zip(neighbours, expected, strict=True):
        assert blend[round(az)] == pytest.approx(w, abs=1e-9)
    assert sum(blend.values()) == pytest.approx(1.0, abs=1e-12)


def test_a_horizontal_set_given_with_signed_azimuths_interpolates_the_same(rng):
    # Azimuths -180..175 name the same directions as 0..355; SOFA allows both.
    ir = rng.standard_normal((72, 2, 16))
    signed = (np.arange(72) * 5.0 + 180.0) % 360.0 - 180.0
    hrtf_signed = HrtfSet(ir, ring(signed), 48000)
    hrtf_wrapped = HrtfSet(ir, ring(signed % 360.0), 48000)
    queries = np.array([12.5, 181.0, 357.5, 2.5, 270.0])

    index_s, weights_s = hrtf_signed.lookup(queries, 0.0, 1.0)
    index_w, weights_w = hrtf_wrapped.lookup(queries, 0.0, 1.0)

    assert weights_s.min() >= 0.0
    blend_s = np.einsum("qk,qkt->qt", weights_s, ir[index_s, 0])
    blend_w = np.einsum("qk,qkt->qt", weights_w, ir[index_w, 0])
    assert_allclose(blend_s, blend_w, rtol=0, atol=1e-12)


@pytest.fixture(scope="module")
def two_distance_set():
    """Horizontal rings at 0.2 m and 1.0 m (24 azimuths each)."""
    positions = np.vstack([ring(np.arange(24) * 15.0, 0.2), ring(np.arange(24) * 15.0, 1.0)])
    ir = np.random.default_rng(7).standard_normal((48, 2, 16))
    return HrtfSet(ir, positions, 48000)


@pytest.mark.parametrize(("distance", "measured"), [
    (0.05, 0.2), (0.2, 0.2), (0.25, 0.2), (0.9, 1.0), (1.0, 1.0), (5.0, 1.0)])
@pytest.mark.parametrize("interpolation", ["nearest", "barycentric"])
def test_a_multi_distance_set_uses_the_nearest_measured_distance(
        two_distance_set, distance, measured, interpolation):
    index, weights = two_distance_set.lookup([30.0, 37.5], 0.0, distance, interpolation)

    used = index[weights > 0]
    assert_array_equal(two_distance_set.positions[used, 2], measured)


def test_the_distances_of_a_set_are_its_measured_distances(two_distance_set):
    assert_array_equal(two_distance_set.distances, [0.2, 1.0])


# -- interpolation ------------------------------------------------------------------


def test_nearest_interpolation_at_a_measured_direction_is_the_measured_response(
        kemar_44k, kemar_path):
    data = read_sofa(kemar_path)
    az, el = data.source_positions[:, 0], data.source_positions[:, 1]

    hrir = kemar_44k.interpolate(az, el, interpolation="nearest")

    assert kemar_44k.sample_rate == KEMAR_RATE == data.sample_rate
    assert hrir.shape[:2] == (710, 2)
    assert_array_equal(hrir[..., :512], data.ir)
    assert_array_equal(hrir[..., 512:], 0.0)


@pytest.mark.parametrize(("azimuth", "elevation"), [(90.0, 0.0), (270.0, 0.0), (0.0, 30.0),
                                                    (120.0, -20.0)])
def test_barycentric_interpolation_at_a_measured_direction_keeps_its_time_alignment(
        kemar_44k, kemar_path, azimuth, elevation):
    # The minimum-phase response put back at its onset lines up with the
    # measurement: the cross-correlation peaks at lag 0 for both ears.
    data = read_sofa(kemar_path)
    (row,) = np.nonzero((data.source_positions[:, 0] == azimuth)
                        & (data.source_positions[:, 1] == elevation))[0]

    hrir = kemar_44k.interpolate(azimuth, elevation)[0]

    for ear in range(2):
        xcorr = np.correlate(hrir[ear], data.ir[row, ear], mode="full")
        assert np.argmax(xcorr) - (512 - 1) == 0


def test_an_unknown_interpolation_mode_is_an_error(kemar_44k):
    with pytest.raises(ValueError, match="interpolation is 'linear' but must be "
                                         "'nearest' or 'barycentric'"):
        kemar_44k.tables("linear")


def test_loading_at_another_rate_resamples_and_keeps_the_interaural_delay(
        kemar_44k, tmp_path, monkeypatch):
    monkeypatch.setenv("SPATIAL_ASMR_CACHE", str(tmp_path))
    (row,) = np.nonzero((kemar_44k.positions[:, 0] == 90.0)
                        & (kemar_44k.positions[:, 1] == 0.0))[0]

    hrtf = load_hrtf("kemar", 48000)

    assert hrtf.sample_rate == 48000.0
    assert abs(hrtf.n_taps - 512 * 48000 / 44100) <= 1
    assert_array_equal(hrtf.positions, kemar_44k.positions)
    itd_48k = np.diff(hrtf.onsets[row]) / 48000
    itd_44k = np.diff(kemar_44k.onsets[row]) / 44100
    assert itd_48k == pytest.approx(itd_44k, abs=0.25 / 44100)
    assert itd_44k[0] > 0.0005  # right ear later for a source on the left


# -- errors ---------------------------------------------------------------------------


def test_loading_a_missing_file_is_an_error_naming_it(tmp_path):
    path = tmp_path / "missing.sofa"

    with pytest.raises(HrtfError, match=re.escape(repr(str(path))) + " does not exist"):
        load_hrtf(path, 48000)


def test_loading_an_unknown_bundled_name_is_an_error_naming_it():
    with pytest.raises(HrtfError, match="'kemr'"):
        load_hrtf("kemr", 48000)


def test_an_unknown_bundled_name_lists_every_name_the_loader_takes():
    with pytest.raises(HrtfError, match="hrtf is 'kemr' but must be one of 'kemar', 'sphere' "
                                        "or a path to a .sofa file"):
        bundled_hrtf_path("kemr")
    with pytest.raises(HrtfError, match="'kemar', 'sphere'"):
        load_hrtf("kemr", 48000)


@pytest.mark.parametrize("rate", [1, 0, -48000, 1e9, float("nan"), "48000", True])
def test_a_bad_sample_rate_is_refused_with_what_is_allowed(rate):
    with pytest.raises(HrtfError, match=r"sample_rate is .* but must be a number of Hz "
                                        r"in \[8000, 384000\]"):
        load_hrtf("kemar", rate)


def test_a_name_that_is_not_text_or_a_path_is_refused():
    with pytest.raises(HrtfError, match="name_or_path is 3 but must be a name"):
        load_hrtf(3, 48000)


def test_loading_a_file_that_is_not_sofa_is_an_error_naming_it(tmp_path, monkeypatch):
    monkeypatch.setenv("SPATIAL_ASMR_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "text.sofa"
    path.write_text("not a SOFA file")

    with pytest.raises(HrtfError, match=re.escape(str(path)) + ": is not a SOFA file"):
        load_hrtf(path, 48000)
