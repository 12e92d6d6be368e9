"""Normalisation and the true-peak limiter."""

import numpy as np
import pytest
from references import peak_16x_fft, peak_16x_poly

from spatial_asmr.output.mastering import finish, integrated_loudness, limit, true_peak

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
    # measured independently (16x polyphase), which reads up to 0.05 dB
    # above the limiter's own 4x meter
    assert 20 * np.log10(peak_16x_poly(y)) <= ceiling + 0.05
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
    assert 20 * np.log10(peak_16x_poly(y)) == pytest.approx(-6.0, abs=0.05)
    assert not report.engaged


def test_unknown_normalisation_is_an_error():
    with pytest.raises(ValueError, match="normalize is 'rms' but must be 'peak' or 'loudness'"):
        finish(np.zeros((10, 2)), RATE, ("rms", -20))


# --------------------------------------------------------------------------
# Streaming meters and limiter
# --------------------------------------------------------------------------

from scipy import signal  # noqa: E402

from spatial_asmr.output.mastering import (  # noqa: E402
    Limiter,
    LimiterReport,
    LoudnessMeter,
    TruePeakMeter,
)

IRREGULAR = (1, 7, 4800, 100000)


def feed_irregularly(meter, x, sizes=IRREGULAR):
    """Feed ``x`` to ``meter.add`` in chunks cycling through ``sizes``."""
    start, i = 0, 0
    while start < len(x):
        meter.add(x[start:start + sizes[i % len(sizes)]])
        start += sizes[i % len(sizes)]
        i += 1


def limit_in_chunks(x, size, rate=RATE, **kwargs):
    limiter = Limiter(rate, **kwargs)
    parts = [limiter.process(x[i:i + size]) for i in range(0, len(x), size)]
    parts.append(limiter.flush())
    return np.concatenate(parts), limiter.report


def fade(x, n=480):
    """``x`` with raised-cosine fades over ``n`` samples at both ends."""
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)
    x = x.copy()
    x[:n] *= ramp[:, None]
    x[-n:] *= ramp[::-1, None]
    return x


def db(value):
    return 20 * np.log10(value)


def material(kind, rate, rng):
    """Test signals of about 5.3 s (not a whole number of 100 ms steps)."""
    n = int(5.27 * rate)
    t = np.arange(n) / rate
    if kind == "noise":
        return 0.1 * rng.standard_normal((n, 2))
    if kind == "gated":
        # bursts separated by silences and by passages below the gates
        x = 0.2 * rng.standard_normal((n, 2))
        x[int(0.8 * rate):int(1.9 * rate)] = 0.0
        x[int(2.5 * rate):int(3.3 * rate)] *= 1e-3
        x[int(4.1 * rate):] *= 0.05
        return x
    # music-like: decaying harmonic notes over pink-ish noise, channels differ
    notes = np.zeros(n)
    for k, f0 in enumerate([220.0, 330.0, 247.0, 392.0, 294.0]):
        onset = int(k * n / 5)
        tau = t[:n - onset]
        tone = sum(np.sin(2 * np.pi * f0 * h * tau) / h for h in range(1, 8))
        notes[onset:] += 0.2 * tone * np.exp(-tau / 0.6)
    pink = signal.lfilter([1.0], [1.0, -0.97], rng.standard_normal((n, 2)), axis=0)
    return np.stack([notes, 0.7 * notes], axis=1) + 0.01 * pink


def test_k_weighting_at_48k_has_the_coefficients_printed_in_bs1770():
    sos = LoudnessMeter(48000).sos
    np.testing.assert_allclose(
        sos[0], [1.53512485958697, -2.69169618940638, 1.19839281085285,
                 1.0, -1.69065929318241, 0.73248077421585], rtol=0, atol=1e-8)
    np.testing.assert_allclose(
        sos[1], [1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621], rtol=0, atol=1e-8)


@pytest.mark.parametrize("rate", [44100, 48000, 96000])
@pytest.mark.parametrize("kind", ["noise", "gated", "music"])
def test_streamed_loudness_in_irregular_chunks_matches_pyloudnorm(rate, kind, rng):
    pyloudnorm = pytest.importorskip("pyloudnorm")
    x = material(kind, rate, rng)
    # pyloudnorm's "DeMan" class is its implementation of the standard's filters
    expected = pyloudnorm.Meter(rate, filter_class="DeMan").integrated_loudness(x)
    meter = LoudnessMeter(rate)
    feed_irregularly(meter, x.astype(np.float32) if kind == "music" else x)
    assert meter.integrated() == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize("seconds", [0.45, 0.46, 0.5, 1.04, 1.06])
def test_loudness_frames_its_blocks_like_pyloudnorm_at_awkward_lengths(seconds, rng):
    pyloudnorm = pytest.importorskip("pyloudnorm")
    # a loud tail makes the last (partly missing) block count
    x = 0.01 * rng.standard_normal((int(seconds * RATE), 2))
    x[-RATE // 20:] *= 30
    expected = pyloudnorm.Meter(RATE, filter_class="DeMan").integrated_loudness(x)
    assert integrated_loudness(x, RATE) == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize("gain_db", [-6.0, 12.0, 30.0])
def test_loudness_read_at_a_gain_is_pyloudnorm_of_the_gained_signal(gain_db, rng):
    pyloudnorm = pytest.importorskip("pyloudnorm")
    # two halves 6 dB apart, both below the absolute gate (-70 LUFS) as they
    # are: read at -6 dB nothing passes, at +12 and +30 dB the gate lets
    # them in (a reading of integrated() plus the gain would be -inf)
    x = 0.0001 * rng.standard_normal((4 * RATE, 2))
    x[2 * RATE:] *= 0.5
    meter = LoudnessMeter(RATE)
    feed_irregularly(meter, x)
    gained = x * 10.0 ** (gain_db / 20.0)
    expected = pyloudnorm.Meter(RATE, filter_class="DeMan").integrated_loudness(gained)
    assert meter.integrated(gain_db) == pytest.approx(expected, abs=0.01)


def test_loudness_of_silence_or_less_than_a_block_is_minus_infinity():
    assert integrated_loudness(np.zeros((RATE, 2)), RATE) == -np.inf
    assert integrated_loudness(np.ones((int(0.39 * RATE), 2)), RATE) == -np.inf
    meter = LoudnessMeter(RATE)
    assert meter.integrated() == -np.inf


@pytest.mark.parametrize("sizes", [(1, 7, 4800, 100000), (333,), (65536,)])
def test_true_peak_in_chunks_equals_the_whole_array_result(sizes, rng):
    x = 0.3 * rng.standard_normal((3 * RATE + 17, 2))
    meter = TruePeakMeter()
    feed_irregularly(meter, x, sizes)
    assert meter.peak == true_peak(x)


def test_true_peak_can_be_read_at_any_time_and_includes_everything_so_far(rng):
    x = 0.1 * rng.standard_normal((RATE, 2))
    x[RATE // 2] = [0.0, 0.9]
    x[RATE // 2 + 1] = [0.0, -0.9]  # inter-sample overs around the doublet
    meter = TruePeakMeter()
    meter.add(x[:RATE // 2 + 2])
    assert meter.peak == true_peak(x[:RATE // 2 + 2])
    assert meter.peak > 0.9
    meter.add(x[RATE // 2 + 2:])
    assert meter.peak == true_peak(x)


@pytest.mark.parametrize("seed", range(4))
def test_true_peak_of_white_noise_agrees_with_resample_poly_at_16x(seed):
    x = 0.2 * np.random.default_rng(seed).standard_normal((RATE, 2))
    assert db(true_peak(x)) == pytest.approx(db(peak_16x_poly(x)), abs=0.05)


@pytest.mark.parametrize("frequency", [11997.0, 12007.3, 19190.0, 19207.7])
@pytest.mark.parametrize("phase", [0.0, 0.7])
def test_true_peak_of_sines_near_fs_4_and_fs_2_5_agrees_with_fft_interpolation(frequency, phase):
    t = np.arange(RATE // 2) / RATE
    x = fade(np.stack([0.5 * np.sin(2 * np.pi * frequency * t + phase)] * 2, axis=1))
    assert db(true_peak(x)) == pytest.approx(db(peak_16x_fft(x)), abs=0.05)


def test_true_peak_of_clicks_agrees_with_fft_interpolation(rng):
    x = np.zeros((4800, 2))
    x[1000, 0] = 1.0
    x[2000:2005, 1] = np.hanning(7)[1:-1] * [0.8, -0.8, 0.8, -0.8, 0.8]
    x[3000, 0], x[3001, 0] = -0.7, 0.3
    for channel in range(2):
        one = x[:, channel:channel + 1]
        assert db(true_peak(one)) == pytest.approx(db(peak_16x_fft(one)), abs=0.05)


def test_true_peak_accepts_float32_and_mono():
    x = (0.5 * np.sin(np.arange(1000) * 0.3)).astype(np.float32)
    assert true_peak(x) == pytest.approx(true_peak(x.astype(np.float64)[:, None]), abs=1e-12)


def limiter_material(kind, rng):
    """Test signals with loud events; returns the signal and the event's span."""
    n = 3 * RATE
    if kind == "sine":
        t = np.arange(n) / RATE
        x = np.stack([0.3 * np.sin(2 * np.pi * 997 * t)] * 2, axis=1)
        span = (RATE, RATE + 2400)
        x[span[0]:span[1]] *= 10 ** (14 / 20)
    elif kind == "noise bursts":
        x = 0.05 * rng.standard_normal((n, 2))
        span = (RATE, RATE + 6000)
        x[RATE:RATE + 2400] *= 20
        x[RATE + 4800:RATE + 6000] *= 40
    else:  # isolated clicks on quiet noise
        x = 0.01 * rng.standard_normal((n, 2))
        span = (RATE, RATE + 4001)
        x[RATE, 0] = 3.0
        x[RATE + 7, 1] = -2.0
        x[RATE + 4000] = [1.5, -1.5]
    return x, span


@pytest.mark.parametrize("kind", ["sine", "noise bursts", "clicks"])
@pytest.mark.parametrize("ceiling", [-1.0, -3.0])
def test_limited_true_peak_measured_independently_stays_at_the_ceiling(kind, ceiling, rng):
    x, _ = limiter_material(kind, rng)
    y, report = limit(x, RATE, ceiling)
    assert report.engaged
    assert db(peak_16x_poly(y)) <= ceiling + 0.05
    if kind != "noise bursts":
        # Full-band white noise has its peaks partly at fs/2, where a brick
        # wall reconstructs inter-sample values that every practical
        # interpolator (the meter's, resample_poly's) attenuates: there the
        # two 16x references differ by up to 0.65 dB, so only the practical
        # one is a fair judge.
        assert db(peak_16x_fft(y)) <= ceiling + 0.05
    # the limiter's own target: within 0.01 dB by its meter
    assert true_peak(y) <= 10 ** (ceiling / 20) * 1.0012


@pytest.mark.parametrize("kind", ["sine", "noise bursts", "clicks"])
def test_limiter_leaves_the_signal_untouched_away_from_the_loud_events(kind, rng):
    x, (begin, end) = limiter_material(kind, rng)
    lookahead_ms, release_ms = 2.0, 80.0
    y, _ = limit(x, RATE, -1.0, lookahead_ms, release_ms)
    assert y.shape == x.shape
    margin = int(1e-3 * RATE)  # the interpolation filter's reach, and then some
    before = begin - int(lookahead_ms * 1e-3 * RATE) - margin
    after = end + int((lookahead_ms + 5 * release_ms) * 1e-3 * RATE) + margin
    np.testing.assert_array_equal(y[:before], x[:before])
    np.testing.assert_array_equal(y[after:], x[after:])
    assert np.any(y[before:after] != x[before:after])


@pytest.mark.parametrize("size", [1, 333, 16384])
def test_limiter_output_does_not_depend_on_the_chunking(size, rng):
    x = 0.05 * rng.standard_normal((RATE // 2 if size == 1 else 2 * RATE, 2))
    x[RATE // 8:RATE // 8 + 800] *= 30
    x[RATE // 4] = [2.0, -1.0]
    whole, whole_report = limit(x, RATE)
    chunked, chunked_report = limit_in_chunks(x, size)
    assert chunked.shape == x.shape
    np.testing.assert_allclose(chunked, whole, rtol=0, atol=1e-12)
    assert chunked_report == whole_report


def test_limiter_output_has_the_input_length_for_every_chunking(rng):
    x = 0.5 * rng.standard_normal((1234, 2))
    for size in (1, 100, 1234, 5000):
        y, _ = limit_in_chunks(x, size)
        assert y.shape == (1234, 2)
    assert limit_in_chunks(x[:0], 10)[0].shape == (0, 2)


def test_limiter_below_the_ceiling_passes_bit_for_bit_in_any_chunking(rng):
    x = (0.1 * rng.standard_normal((RATE, 2))).astype(np.float32)
    for size in (1000, 4096):
        y, report = limit_in_chunks(x, size)
        assert y.dtype == np.float64
        np.testing.assert_array_equal(y, x.astype(np.float64))
        assert report == LimiterReport(False, 0.0, 0.0)


def test_limiter_reports_the_reduction_it_applied():
    t = np.arange(RATE) / RATE
    x = np.stack([0.3 * np.sin(2 * np.pi * 997 * t)] * 2, axis=1)
    x[RATE // 2:RATE // 2 + 4800] *= 5  # 1.5: 4.5 dB over -1 dBTP
    y, report = limit(x, RATE, -1.0)
    gain = np.abs(y[:, 0]).max() / 1.5
    assert report.max_reduction_db == pytest.approx(-db(gain), abs=0.1)
    # the burst lasts 0.1 s; attack and release add to the reduced time
    assert 0.1 < report.reduced_seconds < 0.1 + 0.3


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"sample_rate": 0}, "sample_rate is 0 but must be > 0"),
    ({"sample_rate": RATE, "lookahead_ms": -1.0}, r"lookahead_ms is -1\.0 but must be > 0"),
    ({"sample_rate": RATE, "release_ms": 0.0}, r"release_ms is 0\.0 but must be > 0"),
    ({"sample_rate": RATE, "ceiling_db": float("nan")}, "ceiling_db is nan but must be finite"),
    ({"sample_rate": RATE, "channels": 0}, "channels is 0 but must be an integer >= 1"),
])
def test_limiter_parameters_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Limiter(**kwargs)


def test_chunks_of_the_wrong_shape_are_an_error():
    message = r"chunk has shape \(10, 3\) but must be \(n, 2\)"
    for meter in (LoudnessMeter(RATE), TruePeakMeter()):
        with pytest.raises(ValueError, match=message):
            meter.add(np.zeros((10, 3)))
    with pytest.raises(ValueError, match=message):
        Limiter(RATE).process(np.zeros((10, 3)))


def test_loudness_meter_takes_at_most_five_channels():
    with pytest.raises(ValueError, match="channels is 6 but must be at most 5"):
        LoudnessMeter(RATE, 6)


def test_limiter_refuses_chunks_after_flush():
    limiter = Limiter(RATE)
    limiter.flush()
    with pytest.raises(RuntimeError, match="process is called after flush but must come before"):
        limiter.process(np.zeros((10, 2)))


# -- skipping what cannot matter ------------------------------------------------------


def _quiet_and_loud(seed=3):
    # digital silence, a quiet passage, a loud burst, silence again
    rng = np.random.default_rng(seed)
    x = np.zeros((48000, 2))
    x[8000:20000] = 0.01 * rng.standard_normal((12000, 2))
    x[30000:33000] = 0.9 * np.sin(2 * np.pi * 11000 / 48000 * np.arange(3000))[:, None]
    return x


def test_skipped_pieces_leave_every_level_above_the_threshold_and_the_stream_exact():
    from spatial_asmr.output.truepeak import Oversampled

    x = _quiet_and_loud()
    below = 0.5
    full, skipping = Oversampled(2), Oversampled(2)
    everything = full.levels(x)
    some = skipping.levels(x, below=below)
    assert np.count_nonzero(some) < len(some) // 2  # most of it was skipped
    loud = everything > below
    assert loud.any()
    np.testing.assert_array_equal(some[loud], everything[loud])
    assert np.all(some[~loud] <= below)
    # the stream goes on exactly as if nothing had been skipped
    np.testing.assert_array_equal(skipping.history, full.history)
    np.testing.assert_array_equal(skipping.state, full.state)
    more = _quiet_and_loud(4)
    np.testing.assert_array_equal(skipping.levels(more), full.levels(more))


def test_the_limiter_output_does_not_change_when_nothing_is_skipped(monkeypatch):
    from spatial_asmr.output import limiter as limiter_module
    from spatial_asmr.output.truepeak import Oversampled

    x = 2.0 * _quiet_and_loud()  # the burst is 5 dB over the ceiling
    fast, fast_report = limit(x, 48000, -1.0)
    original = Oversampled.levels
    monkeypatch.setattr(limiter_module.Oversampled, "levels",
                        lambda self, chunk, below=None: original(self, chunk))
    slow, slow_report = limit(x, 48000, -1.0)
    assert fast_report.engaged and fast_report == slow_report
    np.testing.assert_array_equal(fast, slow)
    assert peak_16x_poly(fast) <= 10 ** (-1.0 / 20) * 10 ** (0.01 / 20)


# -- the true peak of a first pass: a piece index, then only the pieces that can hold it

from spatial_asmr.output.truepeak import (  # noqa: E402
    SKIP,
    PieceIndex,
    indexed_true_peak,
)


def _indexed(x, chunk):
    index = PieceIndex()
    for start in range(0, len(x), chunk):
        index.add(x[start:start + chunk])
    return indexed_true_peak(index.peaks(), lambda a, b: x[a:b], len(x), x.shape[1])


def _taps_over_a_bed(rng, seconds=3.0):
    # ASMR-like: a quiet noise bed, a few loud clicks and one tone burst
    x = 0.01 * rng.standard_normal((int(seconds * RATE), 2))
    for at in rng.integers(0, len(x) - 400, 12):
        x[at:at + 5] += rng.uniform(-0.6, 0.6, (5, 2))
    t = np.arange(2000) / RATE
    x[40000:42000, 1] += 0.4 * np.hanning(2000) * np.sin(2 * np.pi * 15000 * t)
    return x


@pytest.mark.parametrize("seed", range(3))
def test_indexed_true_peak_agrees_with_resample_poly_at_16x(seed):
    rng = np.random.default_rng(seed)
    for x in (0.2 * rng.standard_normal((RATE, 2)), _taps_over_a_bed(rng)):
        assert db(_indexed(x, 65536)) == pytest.approx(db(peak_16x_poly(x)), abs=0.05)


@pytest.mark.parametrize("chunk", [1, 777, SKIP, SKIP + 1, 65536])
def test_indexed_true_peak_is_the_streamed_meters_bit_for_bit(chunk, rng):
    signals = [_taps_over_a_bed(rng, 1.0), rng.standard_normal((5000, 2)),
               rng.standard_normal((7, 2))]
    for at in (0, SKIP - 1, SKIP, 3 * SKIP + 5, 5 * SKIP - 1):  # a click at a piece's edge
        click = np.zeros((5 * SKIP, 2))
        click[at] = [0.9, -0.4]
        signals.append(click)
    for x in signals:
        meter = TruePeakMeter()
        meter.add(x)
        assert _indexed(x, chunk) == meter.peak


def test_indexed_true_peak_of_nothing_or_silence_is_zero():
    assert indexed_true_peak(np.zeros(0), None, 0) == 0.0
    assert _indexed(np.zeros((3 * SKIP, 2)), 1000) == 0.0


def test_indexed_true_peak_reads_a_steady_loud_mix_in_bounded_spans(rng):
    # white noise leaves every piece open: it must still be read piece-run by
    # piece-run, never whole
    from spatial_asmr.output import truepeak

    x = rng.standard_normal((200 * SKIP + 77, 2))
    reads = []

    def read(a, b):
        reads.append(b - a)
        return x[a:b]

    index = PieceIndex()
    index.add(x)
    meter = TruePeakMeter()
    meter.add(x)
    assert indexed_true_peak(index.peaks(), read, len(x)) == meter.peak
    assert max(reads) <= truepeak._SPAN * SKIP + 4 * truepeak.TAPS
    assert sum(reads) >= len(x)  # every piece was looked at
