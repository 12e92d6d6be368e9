"""Tests of spatial_asmr.sources.stream: source signals streamed on the scene's time line.

The references are made here with numpy, soundfile and soxr on whole
signals: the generator's whole output or the whole file resampled at once,
then cut, repeated (np.resize), faded with raised-cosine ramps written out
in the test, scaled and shifted.  The streams are read in windows of odd,
mixed sizes that overlap and run past both ends.
"""

import json
import threading
import tracemalloc

import numpy as np
import pytest
import soundfile as sf
import soxr
from numpy.testing import assert_array_equal

from spatial_asmr.errors import AudioFileError
from spatial_asmr.generators import GeneratorError, generate
from spatial_asmr.scene import SourceSpec, parse_scene
from spatial_asmr.sources import stream as signals
from spatial_asmr.sources.sounds import resampled_length
from spatial_asmr.sources.stream import SourceStream, source_signal

RATE = 48000
DTYPES = [np.float32, np.float64]
WINDOWS = [1, 17, 4096, 100000]  # samples per read, cycled
POSITION = {"azimuth": 0, "elevation": 0, "distance": 1}


# -- helpers --------------------------------------------------------------------------


def _spec(tmp_path, duration=None, **source):
    """The SourceSpec of a one-source scene, through the scene parser."""
    scene = {"sources": [{**source, "position": POSITION}]}
    if duration is not None:
        scene["duration"] = duration
    return parse_scene(json.dumps(scene), "test.yaml", tmp_path).sources[0]


def _write(tmp_path, name, signal, rate, subtype="FLOAT"):
    sf.write(tmp_path / name, signal, rate, subtype=subtype)
    return name


@pytest.fixture
def noise(rng):
    """Three seconds of band-limited noise (a sum of smoothed white noise)."""
    x = np.convolve(rng.standard_normal(3 * 44100), np.hanning(9), mode="same")
    return 0.2 * x / np.abs(x).max()


def _faded(x, n_in, n_out, gain_db, start, dtype):
    """Fades, gain and leading silence, as source_signal applies them.

    The fade multiplies in float64 and rounds to ``dtype`` (numpy's in-place
    ``x32 *= ramp64``), fade-in before fade-out; the gain is a ``dtype``
    scalar (a Python float times a float32 array stays float32).
    """
    x = np.array(x, dtype=dtype)
    j = np.arange(len(x), dtype=np.float64)
    if n_in:
        head = x[:n_in].astype(np.float64) * (0.5 - 0.5 * np.cos(np.pi * (j[:n_in] + 0.5) / n_in))
        x[:n_in] = head.astype(dtype)
    if n_out:
        ramp = 0.5 - 0.5 * np.cos(np.pi * (j[:n_out] + 0.5) / n_out)
        x[-n_out:] = (x[-n_out:].astype(np.float64) * ramp[::-1]).astype(dtype)
    if gain_db:
        x = x * np.dtype(dtype).type(10 ** (gain_db / 20))
    return np.concatenate([np.zeros(start, dtype), x])


def _read_all(stream, first=-300, after=300, windows=WINDOWS, overlap=0):
    """Read ``[first, length + after)`` in cycling window sizes; the signal.

    Each read starts ``overlap`` samples before the previous one ended, and
    the samples read twice must agree; outside ``[0, length)`` all are zero.
    """
    signal = np.full(stream.length - first + after + max(windows), np.nan, stream.dtype)
    start = end = first
    k = 0
    while end < stream.length + after:
        start = max(end - overlap, start)
        out = np.empty(end + windows[k % len(windows)] - start, stream.dtype)
        k += 1
        stream.read(start, out)
        assert_array_equal(out[:end - start], signal[start - first:end - first])
        signal[start - first:start - first + len(out)] = out
        end = start + len(out)
    assert not signal[:-first].any()
    assert not signal[stream.length - first:stream.length + after - first].any()
    return signal[-first:stream.length - first]


# -- generator sources ----------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_short_generator_source_is_generate_faded_scaled_and_delayed(tmp_path, dtype):
    spec = _spec(tmp_path, generator={"type": "tapping", "seed": 3, "duration": 2.5,
                                      "tap_rate": 4},
                 start=0.25, fade_in=0.4, fade_out=0.7, gain_db=-7.5)
    expected = _faded(generate("tapping", 2.5, RATE, seed=3, tap_rate=4),
                      round(0.4 * RATE), round(0.7 * RATE), -7.5, RATE // 4, dtype)
    stream = SourceStream(spec, RATE, dtype=dtype)
    assert stream.length == len(expected)
    assert_array_equal(_read_all(stream, overlap=5), expected)
    signal = source_signal(spec, RATE, dtype=dtype)
    assert signal.dtype == dtype
    assert_array_equal(signal, expected)


def test_a_generator_without_duration_lasts_from_its_start_to_the_scene_end(tmp_path):
    spec = _spec(tmp_path, duration=3, generator={"type": "touch", "seed": 1}, start=1.25)
    stream = SourceStream(spec, RATE, 3.0)
    assert stream.length == 3 * RATE
    expected = _faded(generate("touch", 1.75, RATE, seed=1), 0, 0, 0, round(1.25 * RATE),
                      np.float32)
    assert_array_equal(_read_all(stream), expected)


def test_a_generator_without_duration_or_scene_duration_is_refused(tmp_path):
    spec = SourceSpec("s", None, generator=("touch", 1, None, {}))
    with pytest.raises(ValueError, match="scene_duration is None but must be given"):
        SourceStream(spec, RATE)


def test_invalid_generator_arguments_raise_at_construction(tmp_path):
    spec = SourceSpec("s", None, generator=("touch", 1, 2.0, {"rub_rate": -1}))
    with pytest.raises(GeneratorError, match="rub_rate"):
        SourceStream(spec, RATE)


def test_a_long_generator_source_is_the_same_bytes_however_it_is_read(tmp_path):
    spec = _spec(tmp_path, generator={"type": "whisper", "seed": 9, "duration": 25},
                 fade_in=1, fade_out=1)
    one = _read_all(SourceStream(spec, RATE))
    other = _read_all(SourceStream(spec, RATE), windows=[4999, 1, 250000], overlap=333)
    # each segment made on a thread of its own while the one before is read
    ahead = _read_all(SourceStream(spec, RATE, read_ahead=True), windows=[4999, 1, 250000])
    assert len(one) == 25 * RATE
    assert_array_equal(one, other)
    assert_array_equal(one, ahead)
    assert_array_equal(one, source_signal(spec, RATE, dtype=np.float32))


def test_a_stream_reading_ahead_that_finishes_early_leaves_no_thread(tmp_path):
    spec = _spec(tmp_path, generator={"type": "touch", "seed": 3, "duration": 30})
    before = threading.active_count()
    stream = SourceStream(spec, RATE, read_ahead=True)
    stream.read(0, np.empty(RATE))  # the first segment, and the second being made
    assert threading.active_count() == before + 1
    stream.finish()
    assert threading.active_count() == before
    assert stream._buffer.nbytes == 0
    assert_array_equal(stream.read(stream.length, np.ones(10)), np.zeros(10))


def test_a_looped_generator_repeats_its_sound_up_to_the_scene_end(tmp_path):
    spec = _spec(tmp_path, duration=5, generator={"type": "scissors", "seed": 2, "duration": 1.5},
                 loop=True, start=0.5, fade_out=0.3)
    sound = np.resize(generate("scissors", 1.5, RATE, seed=2), round(4.5 * RATE))
    expected = _faded(sound, 0, round(0.3 * RATE), 0, RATE // 2, np.float32)
    assert_array_equal(_read_all(SourceStream(spec, RATE, 5.0)), expected)


# -- file sources ---------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_file_at_the_render_rate_is_its_samples(tmp_path, noise, dtype):
    name = _write(tmp_path, "n.wav", noise, RATE, subtype="PCM_24")
    spec = _spec(tmp_path, file=name)
    expected, _ = sf.read(tmp_path / name, dtype=np.dtype(dtype).name)
    stream = SourceStream(spec, RATE, dtype=dtype)
    assert stream.length == len(noise)
    assert_array_equal(_read_all(stream, overlap=100), expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_44k_file_is_resampled_bit_exactly_as_soxr_resamples_it_whole(tmp_path, noise, dtype):
    # Finding (soxr 1.1): a ResampleStream fed block by block and flushed
    # gives the very samples of soxr.resample on the whole signal.
    name = _write(tmp_path, "n.wav", noise, 44100)
    whole, _ = sf.read(tmp_path / name, dtype=np.dtype(dtype).name)
    expected = soxr.resample(whole, 44100, RATE, quality="VHQ")
    stream = SourceStream(_spec(tmp_path, file=name), RATE, dtype=dtype)
    assert stream.length == len(expected)
    assert_array_equal(_read_all(stream, overlap=7), expected)


@pytest.mark.parametrize("rates", [(44100, 48000), (48000, 44100), (22050, 48000),
                                   (96000, 48000), (8000, 48000), (48000, 8000)])
@pytest.mark.parametrize("frames", [1, 2, 5, 441, 1001, 44101, 100003])
def test_resampled_length_is_the_length_soxr_makes(rates, frames):
    x = np.ones(frames, np.float32)
    assert resampled_length(frames, *rates) == len(soxr.resample(x, *rates,
                                                                          quality="VHQ"))


@pytest.mark.parametrize("rate", [44100, RATE])
def test_trim_cuts_the_resampled_sound(tmp_path, noise, rate):
    name = _write(tmp_path, "n.wav", noise, rate)
    whole = signals.read_mono(tmp_path / name, RATE, dtype=np.float32)
    spec = _spec(tmp_path, file=name, trim=[0.3, 1.85], start=0.1, gain_db=2)
    expected = _faded(whole[round(0.3 * RATE):round(1.85 * RATE)], 0, 0, 2, round(0.1 * RATE),
                      np.float32)
    assert_array_equal(_read_all(SourceStream(spec, RATE)), expected)


def test_a_trim_past_the_end_of_the_file_stops_at_its_end(tmp_path, noise):
    name = _write(tmp_path, "n.wav", noise, 44100)
    whole = signals.read_mono(tmp_path / name, RATE, dtype=np.float32)
    spec = _spec(tmp_path, file=name, trim=[2.5, 9])
    stream = SourceStream(spec, RATE)
    assert stream.length == len(whole) - round(2.5 * RATE)
    assert_array_equal(_read_all(stream), whole[round(2.5 * RATE):])


@pytest.mark.parametrize("in_memory", [True, False])
@pytest.mark.parametrize("rate", [44100, RATE])
def test_a_loop_repeats_the_trimmed_sound_and_fades_the_whole(tmp_path, monkeypatch, noise,
                                                              rate, in_memory):
    if not in_memory:
        # the trimmed sound is 0.5 s: above this limit it is decoded again
        # for every repetition instead of held
        monkeypatch.setattr(signals, "LOOP_IN_MEMORY", 1000)
    name = _write(tmp_path, "n.wav", noise, rate)
    whole = signals.read_mono(tmp_path / name, RATE, dtype=np.float32)
    spec = _spec(tmp_path, duration=4, file=name, trim=[0.5, 1.0], loop=True, start=0.75,
                 fade_in=0.2, fade_out=1.3, gain_db=-3)
    sound = np.resize(whole[RATE // 2:RATE], round(3.25 * RATE))
    expected = _faded(sound, round(0.2 * RATE), round(1.3 * RATE), -3, round(0.75 * RATE),
                      np.float32)
    stream = SourceStream(spec, RATE, 4.0)
    assert stream.length == 4 * RATE
    assert_array_equal(_read_all(stream, overlap=40), expected)


def test_a_loop_longer_than_the_scene_is_cut_at_the_scene_end(tmp_path, noise):
    name = _write(tmp_path, "n.wav", noise, RATE)
    spec = _spec(tmp_path, duration=1, file=name, loop=True, fade_out=0.5)
    expected = _faded(noise[:RATE].astype(np.float32), 0, RATE // 2, 0, 0, np.float64)
    assert_array_equal(_read_all(SourceStream(spec, RATE, 1.0, np.float64)), expected)


def test_fades_longer_than_the_sound_are_cut_to_it(tmp_path, noise):
    name = _write(tmp_path, "n.wav", noise[:1000], RATE)
    spec = _spec(tmp_path, file=name, fade_in=1, fade_out=2)
    expected = _faded(noise[:1000].astype(np.float32), 1000, 1000, 0, 0, np.float32)
    assert_array_equal(_read_all(SourceStream(spec, RATE)), expected)


def test_a_channel_of_a_multichannel_file_is_streamed(tmp_path, noise):
    stereo = np.stack([noise, -0.5 * noise], axis=1)
    name = _write(tmp_path, "s.wav", stereo, 44100)
    spec = _spec(tmp_path, file=name, channel=1)
    expected = soxr.resample(np.ascontiguousarray(stereo[:, 1], np.float32), 44100, RATE,
                             quality="VHQ")
    assert_array_equal(_read_all(SourceStream(spec, RATE)), expected)


def test_source_signal_is_the_whole_stream_in_float64_by_default(tmp_path, noise):
    name = _write(tmp_path, "n.wav", noise, 44100)
    spec = _spec(tmp_path, duration=5, file=name, loop=True, start=0.5, fade_in=0.1)
    signal = source_signal(spec, RATE, 5.0)
    assert signal.dtype == np.float64
    assert_array_equal(signal, _read_all(SourceStream(spec, RATE, 5.0, np.float64)))


# -- reading --------------------------------------------------------------------------


def test_a_finished_stream_holds_nothing_and_reads_silence_after_its_body(tmp_path, noise):
    name = _write(tmp_path, "n.wav", noise[:RATE], RATE)
    spec = _spec(tmp_path, file=name, start=0.25)
    stream = SourceStream(spec, RATE)
    whole = np.empty(stream.length)
    stream.read(0, whole)
    assert_array_equal(whole[RATE // 4:], noise[:RATE].astype(np.float32))
    assert stream._buffer.nbytes > 0

    stream.finish()
    stream.finish()  # a second time: nothing more to let go of

    assert stream._buffer.nbytes == 0
    later = np.full(1000, 7.0)
    assert_array_equal(stream.read(stream.length, later), np.zeros(1000))


def test_windows_wholly_before_the_start_or_after_the_end_are_silent(tmp_path, noise):
    name = _write(tmp_path, "n.wav", noise, RATE)
    stream = SourceStream(_spec(tmp_path, file=name, start=1), RATE)
    out = np.ones(500, np.float32)
    assert not stream.read(-10000, out).any()
    assert not stream.read(100, out).any()
    out = np.ones(500, np.float32)
    assert not stream.read(stream.length + 3, out).any()
    assert not stream.read(10 ** 12, out).any()


def test_a_read_that_skips_ahead_gives_the_samples_there(tmp_path, noise):
    name = _write(tmp_path, "n.wav", noise, 44100)
    spec = _spec(tmp_path, file=name)
    whole = source_signal(spec, RATE, dtype=np.float32)
    stream = SourceStream(spec, RATE)
    out = np.empty(3000, np.float32)
    for start in (10, 70000, 70001, 120000):
        assert_array_equal(stream.read(start, out), whole[start:start + 3000])


def test_a_read_before_the_previous_start_raises(tmp_path, noise):
    name = _write(tmp_path, "n.wav", noise, RATE)
    stream = SourceStream(_spec(tmp_path, file=name), RATE)
    stream.read(1000, np.empty(10, np.float32))
    stream.read(1000, np.empty(10, np.float32))  # the same start again is allowed
    with pytest.raises(ValueError, match="start is 999 but must be >= 1000"):
        stream.read(999, np.empty(10, np.float32))


def test_out_must_be_one_dimensional(tmp_path, noise):
    name = _write(tmp_path, "n.wav", noise, RATE)
    stream = SourceStream(_spec(tmp_path, file=name), RATE)
    with pytest.raises(ValueError, match=r"out has shape \(2, 5\) but must be 1-D"):
        stream.read(0, np.empty((2, 5), np.float32))


def test_memory_stays_bounded_by_the_chunk_not_the_signal(tmp_path, monkeypatch, noise):
    # two minutes looped from a 3 s file, re-decoded per repetition: the
    # whole signal would be 23 MB of float32
    monkeypatch.setattr(signals, "LOOP_IN_MEMORY", 1000)
    name = _write(tmp_path, "n.wav", noise, 44100)
    stream = SourceStream(_spec(tmp_path, duration=120, file=name, loop=True), RATE, 120.0)
    out = np.empty(4096, np.float32)
    tracemalloc.start()
    try:
        for start in range(0, stream.length, len(out)):
            stream.read(start, out)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4e6


# -- frame peaks ----------------------------------------------------------------------


def _frame_peaks(x, frame):
    count = -(-len(x) // frame)
    return np.array([np.abs(x[k * frame:(k + 1) * frame]).max() for k in range(count)])


@pytest.mark.parametrize("frame_seconds", [0.1, 0.0123])
def test_frame_peaks_are_the_peaks_of_the_whole_signal_per_frame(tmp_path, noise,
                                                                 frame_seconds):
    name = _write(tmp_path, "n.wav", noise, 44100)
    spec = _spec(tmp_path, file=name, start=0.33, fade_in=0.5)
    stream = SourceStream(spec, RATE, frame_seconds=frame_seconds)
    assert stream.frame == round(frame_seconds * RATE)
    signal = _read_all(stream)
    peaks = stream.frame_peaks()
    assert peaks.dtype == np.float32
    assert_array_equal(peaks, _frame_peaks(signal, stream.frame))
    assert not peaks[:round(0.33 * RATE) // stream.frame].any()


def test_frame_peaks_cover_what_is_made_so_far(tmp_path):
    spec = _spec(tmp_path, generator={"type": "tapping", "seed": 1, "duration": 3}, start=1)
    whole = source_signal(spec, RATE, dtype=np.float32)
    stream = SourceStream(spec, RATE)
    assert len(stream.frame_peaks()) == 0
    stream.read(0, np.empty(RATE // 2, np.float32))  # silence only: half a second
    assert_array_equal(stream.frame_peaks(), np.zeros(5))
    stream.read(RATE, np.empty(10, np.float32))  # makes the sound's first chunk (all of it)
    assert_array_equal(stream.frame_peaks(), _frame_peaks(whole, RATE // 10))


# -- errors ---------------------------------------------------------------------------


def test_a_missing_file_raises_at_construction(tmp_path):
    with pytest.raises(AudioFileError, match="does not exist"):
        SourceStream(SourceSpec("s", tmp_path / "missing.wav"), RATE)


def test_a_file_that_is_not_audio_raises_at_construction(tmp_path):
    (tmp_path / "bad.wav").write_bytes(b"not audio at all")
    with pytest.raises(AudioFileError, match="bad.wav: cannot be read as audio"):
        SourceStream(SourceSpec("s", tmp_path / "bad.wav"), RATE)


def test_a_multichannel_file_without_channel_raises_at_construction(tmp_path):
    sf.write(tmp_path / "s.wav", np.zeros((100, 2)), RATE)
    with pytest.raises(AudioFileError, match="has 2 channels but must be mono"):
        SourceStream(SourceSpec("s", tmp_path / "s.wav"), RATE)
    with pytest.raises(AudioFileError, match="channel is 2 but must be below 2"):
        SourceStream(SourceSpec("s", tmp_path / "s.wav", channel=2), RATE)


@pytest.mark.parametrize("rate", [44100, RATE])
def test_a_file_with_nan_raises_when_the_read_reaches_it(tmp_path, rate):
    x = np.zeros(3 * rate)
    x[2 * rate] = np.nan
    sf.write(tmp_path / "nan.wav", x, rate, subtype="FLOAT")
    stream = SourceStream(SourceSpec("s", tmp_path / "nan.wav"), RATE)
    stream.read(0, np.empty(1000, np.float32))  # the first block is fine
    with pytest.raises(AudioFileError, match="nan.wav: contains NaN or infinite samples"):
        stream.read(0, np.empty(stream.length, np.float32))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"dtype": np.int16}, "dtype is 'int16' but must be 'float32' or 'float64'"),
    ({"frame_seconds": 0}, "frame_seconds is 0 but must be > 0"),
    ({"frame_seconds": 1e-6}, "frame_seconds is 1e-06 but must be > 0 and at least one sample"),
])
def test_invalid_stream_options_are_refused(tmp_path, kwargs, message):
    spec = SourceSpec("s", None, generator=("touch", 1, 1.0, {}))
    with pytest.raises(ValueError, match=message):
        SourceStream(spec, RATE, **kwargs)
