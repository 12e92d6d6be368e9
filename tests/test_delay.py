"""Tests of spatial_asmr.dsp.delay: the windowed-sinc fractional delay line."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.signal import hilbert

from spatial_asmr.dsp.delay import (
    HALF_LENGTH,
    DelayBank,
    delay_signal,
    fractional_kernel,
    interpolator_taps,
    shift_filter,
)

H = HALF_LENGTH
# taps[k] weighs x[n - OFFSETS[k]] (see fractional_kernel's docstring)
OFFSETS = np.arange(-H + 1, H + 1)
FRACTIONS = np.linspace(0.0, 1.0, 21)
RATES = [44100, 48000]


def kernel_response(frac, sample_rate, f_max=16000.0, n_freqs=641):
    """DTFT of the kernel, and its group delay in samples, on 0..f_max Hz."""
    omega = 2 * np.pi * np.linspace(0.0, f_max, n_freqs) / sample_rate
    taps = fractional_kernel(frac)
    phasors = np.exp(-1j * np.outer(omega, OFFSETS))
    response = phasors @ taps
    # tau(w) = Re( sum n h[n] e^{-jwn} / sum h[n] e^{-jwn} ) = -d(phase)/dw
    group_delay = np.real((phasors @ (OFFSETS * taps)) / response)
    return response, group_delay


def band_limited(t, sample_rate):
    """A sum of sines below 16 kHz evaluated at (fractional) sample times t."""
    freqs = np.array([97.0, 1031.0, 4999.0, 10007.0, 15877.0])
    amps = np.array([1.0, 0.7, 0.5, 0.4, 0.3])
    phases = np.array([0.1, 1.3, 2.9, 4.0, 5.5])
    return np.sum(amps[:, None] * np.sin(2 * np.pi * freqs[:, None] * t / sample_rate
                                         + phases[:, None]), axis=0)


def relative_error_db(actual, expected):
    """RMS error relative to the RMS of the reference, dB."""
    return 20 * np.log10(np.sqrt(np.mean((actual - expected) ** 2) / np.mean(expected ** 2)))


def constant(delay, n_out, block_size):
    return np.full(n_out // block_size + 1, float(delay))


# -- the interpolator ------------------------------------------------------------


def test_the_kernel_has_2h_taps():
    assert fractional_kernel(0.3).shape == (2 * H,)


@pytest.mark.parametrize(("frac", "offset"), [(0.0, 0), (1.0, 1)])
def test_integer_fractions_give_a_unit_impulse_at_that_offset(frac, offset):
    expected = (OFFSETS == offset).astype(float)

    assert_allclose(fractional_kernel(frac), expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("sample_rate", RATES)
def test_the_magnitude_response_is_flat_within_0_002_db_up_to_16_khz(sample_rate):
    worst = 0.0
    for frac in FRACTIONS:
        response, _ = kernel_response(frac, sample_rate)
        worst = max(worst, np.max(np.abs(20 * np.log10(np.abs(response)))))

    assert worst < 0.002


@pytest.mark.parametrize("sample_rate", RATES)
def test_the_delay_lines_polynomial_taps_respond_within_minus_120_db_of_the_kernel(
        sample_rate):
    omega = 2 * np.pi * np.linspace(0.0, 16000.0, 321) / sample_rate
    phasors = np.exp(-1j * np.outer(omega, OFFSETS))
    for frac in np.linspace(0.0, 1.0, 101):
        error = phasors @ (interpolator_taps(frac) - fractional_kernel(frac))

        assert np.max(np.abs(error)) < 1e-6, f"frac={frac}"


@pytest.mark.parametrize("frac", [0.0, 1.0])
def test_the_delay_lines_polynomial_taps_are_exact_at_whole_samples(frac):
    assert_allclose(interpolator_taps(frac), (OFFSETS == frac).astype(float),
                    rtol=0, atol=1e-15)


@pytest.mark.parametrize("sample_rate", RATES)
def test_the_group_delay_is_the_fraction_within_0_01_samples_up_to_16_khz(sample_rate):
    for frac in FRACTIONS:
        _, group_delay = kernel_response(frac, sample_rate)

        assert_allclose(group_delay, frac, rtol=0, atol=0.01, err_msg=f"frac={frac}")


# -- delay_signal -------------------------------------------------------------------


@pytest.mark.parametrize(("delay", "start"), [(0, 0), (1, 0), (7, 0), (100, 0), (7, 64)])
def test_a_constant_integer_delay_reproduces_the_shifted_input(rng, delay, start):
    x = rng.standard_normal(600)
    n_out, block = 512, 64

    y = delay_signal(x, start, n_out, constant(delay, n_out, block), block)

    expected = np.zeros(n_out)
    source = np.arange(n_out) + start - delay  # zero outside the input
    inside = (source >= 0) & (source < len(x))
    expected[inside] = x[source[inside]]
    assert y.shape == (n_out,)
    assert_allclose(y, expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("sample_rate", RATES)
@pytest.mark.parametrize("delay", [0.25, 0.5, 3.7, 10.999, 33.1])
def test_a_constant_fractional_delay_delays_a_band_limited_signal_within_minus_60_db(
        sample_rate, delay):
    n, block = 4096, 128
    x = band_limited(np.arange(n), sample_rate)

    y = delay_signal(x, 0, n, constant(delay, n, block), block)

    # away from the ends, where the input's zero extension enters the kernel
    interior = slice(int(delay) + H + 1, n - H)
    expected = band_limited(np.arange(n) - delay, sample_rate)
    assert relative_error_db(y[interior], expected[interior]) < -60.0
    peak = np.max(np.abs(y[interior] - expected[interior])) / np.max(np.abs(expected))
    assert peak < 1e-3


@pytest.mark.parametrize(("start_delay", "slope"), [(5.0, 0.01), (40.0, -0.005)],
                         ids=["receding", "approaching"])
def test_a_linear_delay_ramp_gives_the_doppler_shifted_sine(start_delay, slope):
    sample_rate, f, n, block = 48000, 1000.0, 4096, 256
    t = np.arange(n)
    x = np.sin(2 * np.pi * f * t / sample_rate)
    boundaries = np.arange(n // block + 1) * block

    y = delay_signal(x, 0, n, start_delay + slope * boundaries, block)

    d = start_delay + slope * t
    expected = np.sin(2 * np.pi * f * (t - d) / sample_rate)
    interior = (t - d >= H) & (t - d < n - H)
    assert interior.sum() > 3500
    assert_allclose(y[interior], expected[interior], rtol=0, atol=1e-3)
    # the frequency heard is f (1 - slope): slope of the analytic signal's phase,
    # away from the ends where the Hilbert transform is disturbed
    phase = np.unwrap(np.angle(hilbert(y[interior])))[300:-300]
    heard = np.polyfit(np.arange(len(phase)), phase, 1)[0] * sample_rate / (2 * np.pi)
    assert heard == pytest.approx(f * (1 - slope), abs=0.5)


def test_the_delay_moves_linearly_between_the_block_boundary_values(rng):
    sample_rate, n, block = 48000, 2048, 128
    boundary_delays = 20.0 + rng.uniform(-8.0, 8.0, n // block + 1)
    t = np.arange(n)
    x = band_limited(t, sample_rate)

    y = delay_signal(x, 0, n, boundary_delays, block)

    d = np.interp(t, np.arange(n // block + 1) * block, boundary_delays)
    expected = band_limited(t - d, sample_rate)
    interior = slice(40, n - H)
    assert relative_error_db(y[interior], expected[interior]) < -60.0


def test_consecutive_calls_continue_one_another(rng):
    x = rng.standard_normal(1000)
    block = 64
    delays = 3.0 + rng.uniform(0.0, 10.0, 2 * 512 // block + 1)

    whole = delay_signal(x, 0, 1024, delays, block)
    first = delay_signal(x, 0, 512, delays[:9], block)
    second = delay_signal(x, 512, 512, delays[8:], block)

    assert_array_equal(np.concatenate([first, second]), whole)


# -- shift_filter -----------------------------------------------------------------


def delay_line_impulse_response(delay, n, block=32):
    """The delay line's full (non-causal part included) response to a unit impulse.

    The impulse sits ``lead`` samples into the input so that the kernel's taps
    before its centre are not cut off; ``g[lead + m]`` is the response at lag m.
    """
    lead = 2 * H
    impulse = np.zeros(lead + 1)
    impulse[lead] = 1.0
    n_out = -(-(n + 2 * lead) // block) * block
    return delay_signal(impulse, 0, n_out, constant(delay, n_out, block), block), lead


@pytest.mark.parametrize("delay", [0.3, 2.5, 5.75, 11.0, 17.2])
def test_shift_filter_equals_the_delay_lines_impulse_response_convolved_with_the_filter(
        rng, delay):
    h = rng.standard_normal(40) * np.exp(-np.arange(40) / 10)

    shifted = shift_filter(h, delay)

    g, lead = delay_line_impulse_response(delay, len(shifted))
    expected = np.convolve(g, h)[lead:lead + len(shifted)]
    # both evaluate the same polynomial taps: equal up to rounding
    assert np.max(np.abs(shifted - expected)) / np.max(np.abs(expected)) < 1e-12


@pytest.mark.parametrize("delay", [0.0, 1.0, 13.0])
def test_shift_filter_by_a_whole_number_of_samples_is_exact(rng, delay):
    h = rng.standard_normal((3, 2, 20))

    shifted = shift_filter(h, delay)

    n = int(delay)
    assert shifted.shape == (3, 2, 20 + n + H + 1)
    assert_array_equal(shifted[..., n:n + 20], h)
    assert_array_equal(shifted[..., :n], 0.0)
    assert_array_equal(shifted[..., n + 20:], 0.0)


def test_shift_filter_works_on_the_last_axis_of_stacked_filters(rng):
    h = rng.standard_normal((2, 3, 16))

    shifted = shift_filter(h, 4.4)

    for i in range(2):
        for j in range(3):
            assert_array_equal(shifted[i, j], shift_filter(h[i, j], 4.4))


@pytest.mark.parametrize("length", [10, 100])
def test_shift_filter_truncates_or_pads_to_the_requested_length(rng, length):
    h = rng.standard_normal(16)
    full = shift_filter(h, 2.6)

    shifted = shift_filter(h, 2.6, length)

    assert shifted.shape == (length,)
    common = min(length, len(full))
    assert_array_equal(shifted[:common], full[:common])
    assert_array_equal(shifted[common:], 0.0)


def test_the_stored_farrow_table_is_what_a_fresh_fit_gives():
    # the table is data (fitting takes a second at import); it must be the
    # fit of the interpolator's design, to the last bits a least-squares
    # solve may differ by between machines
    from spatial_asmr.dsp.farrow import COEFFICIENTS, HEX, fit_coefficients

    assert COEFFICIENTS.shape == (8, 24) and len(HEX) == 8
    assert_allclose(COEFFICIENTS, fit_coefficients(), rtol=0, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_compact_read_gives_the_rows_a_full_read_gives(rng, dtype):
    # three sources (groups), two ears each; the compact read holds the
    # channels of groups 2 and 0 only, in that order, with their windows
    block, n_out, offset, start = 32, 8 * 32, -40, 10
    groups = [0, 0, 1, 1, 2, 2]
    windows = rng.standard_normal((3, n_out + 200)).astype(dtype)
    delays = rng.uniform(2.0, 30.0, (6, n_out // block + 1))
    bank = DelayBank(groups, dtype)
    full = bank.read(windows, offset, start, n_out, delays, block)
    rows = np.array([4, 5, 0, 1])
    out = np.full((4, n_out), np.nan, dtype=dtype)
    compact = bank.read(windows[[2, 0]], offset, start, n_out, delays[rows], block, out=out,
                        groups=[2, 0], rows=rows, fill=False)
    assert compact is out
    assert_array_equal(compact, full[rows])
    # each row is the one-channel delay line of its window
    for i, c in enumerate(rows):
        one = delay_signal(windows[groups[c]], start - offset, n_out, delays[c], block)
        assert_array_equal(compact[i], one)
    with pytest.raises(ValueError, match="rows must hold every channel"):
        bank.read(windows[[2]], offset, start, n_out, delays[[4]], block,
                  out=np.empty((1, n_out), dtype), groups=[2], rows=[4])
