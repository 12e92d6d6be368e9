"""Normalisation and the true-peak limiter."""

import numpy as np
import pytest

from spatial_asmr.mastering import finish, integrated_loudness, limit, true_peak

RATE = 48000


def test_true_peak_sees_inter_sample_overs():
    # a sine at fs/4 sampled at 45 degrees: samples reach 0.707, the wave 1.0
    n = np.arange(4800)
    x = np.sin(2 * np.pi * n / 4 + np.pi / 4)[:, None]
    assert np.abs(x).max() == pytest.approx(np.sqrt(0.5))
    assert true_peak(x) == pytest.approx(1.0, abs=0.02)


def test_loudness_of_a_full_scale_1k_sine_is_minus_3_lufs_per_channel_pair():
    # BS.1770: a 0 dBFS 997 Hz sine in one channel reads -3.01 LUFS
    t = np.arange(5 * RATE) / RATE
    x = np.zeros((len(t), 2))
    x[:, 0] = np.sin(2 * np.pi * 997 * t)
    assert integrated_loudness(x, RATE) == pytest.approx(-3.01, abs=0.05)


def test_limiter_is_transparent_below_the_ceiling():
    rng = np.random.default_rng(0)
    x = 0.1 * rng.standard_normal((RATE, 2))
    y, report = limit(x, RATE, -1.0)
    assert not report.engaged
    np.testing.assert_array_equal(y, x)


@pytest.mark.parametrize("ceiling", [-1.0, -3.0])
def test_limiter_keeps_the_true_peak_at_the_ceiling_and_leaves_the_rest_alone(ceiling):
    t = np.arange(3 * RATE) / RATE
    x = np.stack([0.3 * np.sin(2 * np.pi * 997 * t)] * 2, axis=1)
    burst = slice(RATE, RATE + 2400)
    x[burst] *= 5
    y, report = limit(x, RATE, ceiling)
    assert report.engaged
    assert 20 * np.log10(true_peak(y)) <= ceiling + 0.01
    assert report.max_reduction_db == pytest.approx(20 * np.log10(1.5) - ceiling, abs=0.3)
    # far from the burst (beyond look-ahead and release) nothing changed
    np.testing.assert_allclose(y[:RATE - 500], x[:RATE - 500], atol=1e-12)
    np.testing.assert_allclose(y[-RATE // 2:], x[-RATE // 2:], atol=1e-9)


def test_limiter_gain_moves_smoothly():
    t = np.arange(RATE) / RATE
    x = np.stack([np.sin(2 * np.pi * 200 * t) * (1 + 2 * (t > 0.5))] * 2, axis=1)
    y, _ = limit(x, RATE, -1.0)
    gain = np.abs(y[:, 0]) / np.maximum(np.abs(x[:, 0]), 1e-9)
    valid = np.abs(x[:, 0]) > 0.05
    # no gain step larger than 1 dB between neighbouring valid samples
    g = 20 * np.log10(gain[valid])
    assert np.abs(np.diff(g)).max() < 1.0


@pytest.mark.parametrize("target", [-30.0, -16.0])
def test_loudness_normalisation_hits_its_target(target):
    rng = np.random.default_rng(2)
    x = 0.02 * rng.standard_normal((4 * RATE, 2))
    y, gain_db, _ = finish(x, RATE, ("loudness", target), integer=True)
    assert integrated_loudness(y, RATE) == pytest.approx(target, abs=0.5)
    assert gain_db == pytest.approx(target - integrated_loudness(x, RATE), abs=1e-9)


def test_peak_normalisation_sets_the_true_peak():
    rng = np.random.default_rng(3)
    x = 0.02 * rng.standard_normal((RATE, 2))
    y, _, report = finish(x, RATE, ("peak", -6.0), integer=False)
    assert 20 * np.log10(true_peak(y)) == pytest.approx(-6.0, abs=0.01)
    assert not report.engaged


def test_unknown_normalisation_is_an_error():
    with pytest.raises(ValueError, match="normalize is 'rms' but must be 'peak' or 'loudness'"):
        finish(np.zeros((10, 2)), RATE, ("rms", -20))
