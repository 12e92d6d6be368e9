"""Tests of spatial_asmr.dsp.iir against scipy.signal, the reference implementation."""

import numpy as np
import pytest
from scipy import signal

from spatial_asmr.dsp.iir import FLUSH, butter_sos, lfilter2, sosfilt

FS = 48000


@pytest.mark.parametrize("order, edges, btype", [
    (2, (300.0, 3000.0), "bandpass"),
    (2, (1000.0, 20000.0), "bandpass"),
    (1, (50.0, 20000.0), "bandpass"),      # a wide band: real band-pass poles
    (3, (100.0, 18000.0), "bandpass"),
    (4, (2000.0, 2500.0), "bandpass"),
    (1, 2000.0, "lowpass"),
    (3, 5000.0, "lowpass"),
    (2, 40.0, "highpass"),
    (3, 400.0, "highpass"),
])
def test_butterworth_designs_have_scipys_response(order, edges, btype):
    mine = butter_sos(order, edges, btype, FS)
    reference = signal.butter(order, edges, btype=btype, fs=FS, output="sos")
    _, h_mine = signal.sosfreqz(mine, 8192, fs=FS)
    _, h_ref = signal.sosfreqz(reference, 8192, fs=FS)
    assert np.abs(h_mine - h_ref).max() < 1e-10
    assert mine.shape[1] == 6 and np.all(mine[:, 3] == 1.0)


def test_sosfilt_gives_scipys_samples_bit_for_bit_and_carries_state():
    rng = np.random.default_rng(1)
    sos = signal.butter(2, (300.0, 3000.0), btype="bandpass", fs=FS, output="sos")
    for channels in (1, 2, 3):
        x = rng.standard_normal((5000, channels))
        expected = signal.sosfilt(sos, x, axis=0)
        assert np.array_equal(sosfilt(sos, x), expected)
        zi = np.zeros((len(sos), 2, channels))
        pieces = [sosfilt(sos, x[a:b], zi=zi) for a, b in ((0, 1234), (1234, 5000))]
        assert np.array_equal(np.concatenate(pieces), expected)
    x = rng.standard_normal(777)
    assert np.array_equal(sosfilt(sos, x), signal.sosfilt(sos, x))


def test_states_are_flushed_only_below_a_negligible_size():
    # a burst, then digital silence: scipy's recursion decays into subnormal
    # numbers; here states below FLUSH become zero, and nothing else changes
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.standard_normal(2000), np.zeros(300000)])
    sos = signal.butter(2, 40.0, btype="highpass", fs=FS, output="sos")
    expected = signal.sosfilt(sos, x)
    mine = sosfilt(sos, x)
    assert np.array_equal(mine[:2000], expected[:2000])
    np.testing.assert_allclose(mine, expected, rtol=0, atol=1e3 * FLUSH)
    assert np.all(mine[-1000:] == 0.0)
    assert np.any((expected != 0) & (np.abs(expected) < 1e-300))  # scipy's are subnormal


@pytest.mark.parametrize("b, a", [([1.0], [1.0, -0.99]),
                                  ([0.0, 0.3], [1.0, -1.8, 0.95]),
                                  ([0.2, 0.1, -0.05], [2.0, -1.0, 0.3])])
def test_lfilter2_is_lfilter_for_filters_up_to_order_two(b, a):
    x = np.random.default_rng(3).standard_normal(4000)
    np.testing.assert_allclose(lfilter2(b, a, x), signal.lfilter(b, a, x), rtol=0, atol=1e-12)
