"""Tests of spatial_asmr.generators: procedural ASMR trigger sounds.

The character each generator's docstring claims is measured here with
measures written for these tests alone (none of the generators' own DSP
helpers is used): the spectral centroid of a Welch spectrum, the crest
factor, onsets counted by a peak envelope follower, the spectrum of a
smoothed amplitude envelope, and level changes between short frames.
"""

import inspect
from functools import cache

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import signal

from spatial_asmr.errors import SpatialAsmrError
from spatial_asmr.generators import (
    CROSSFADE_SECONDS,
    GENERATORS,
    SEGMENT_SECONDS,
    Generator,
    GeneratorError,
    Param,
    generate,
    generate_chunks,
    hair_brush,
    package_open,
    paper_crinkle,
    scissors,
    segment_samples,
    tapping,
    touch,
    whisper,
)

NAMES = list(GENERATORS)
RATES = [44100, 48000]
DURATION = 8.0  # s, long enough for stable statistics, short enough for a quick suite


@cache
def _render(name, sample_rate, seed, duration, params):
    audio = generate(name, duration, sample_rate, seed=seed, **dict(params))
    audio.flags.writeable = False
    return audio


def render(name, sample_rate=48000, seed=0, duration=DURATION, **params):
    """A generator's output, cached (read-only) across tests."""
    return _render(name, sample_rate, seed, duration, tuple(sorted(params.items())))


# -- independent measures ------------------------------------------------------------


def spectral_centroid(x, sample_rate):
    """Power-weighted mean frequency of the Welch spectrum, Hz."""
    freqs, power = signal.welch(x, sample_rate, nperseg=4096)
    return np.sum(freqs * power) / np.sum(power)


def band_fraction(x, sample_rate, lo, hi):
    """Fraction of the power between lo and hi Hz."""
    freqs, power = signal.welch(x, sample_rate, nperseg=4096)
    return power[(freqs >= lo) & (freqs < hi)].sum() / power.sum()


def crest_factor(x):
    """Peak over RMS (linear)."""
    return np.max(np.abs(x)) / np.sqrt(np.mean(x ** 2))


def onset_times(x, sample_rate, rise_db=10.0, release_db_per_ms=1.0, refractory_ms=5,
                floor_db=-50.0):
    """Onsets found by a peak envelope follower on the differentiated signal.

    The signal is differentiated (transients are broadband, so this favours
    them over steady low-frequency sound), cut into 1 ms frames and reduced to
    frame peaks.  The follower jumps to any higher peak and otherwise decays by
    ``release_db_per_ms``; an onset is a frame peak ``rise_db`` above the
    follower (and above ``floor_db`` re the loudest frame), at least
    ``refractory_ms`` after the previous onset.

    Returns
    -------
    times : ndarray
        Seconds.
    """
    derivative = np.diff(x)
    hop = sample_rate // 1000
    peaks = np.abs(derivative[:len(derivative) // hop * hop]).reshape(-1, hop).max(axis=1)
    floor = peaks.max() * 10 ** (floor_db / 20)
    rise = 10 ** (rise_db / 20)
    decay = 10 ** (-release_db_per_ms / 20)
    follower, last, onsets = 0.0, -refractory_ms, []
    for i, peak in enumerate(peaks):
        if peak > floor and peak > rise * follower and i - last >= refractory_ms:
            onsets.append(i)
            last = i
        follower = max(peak, follower * decay)
    return np.array(onsets) / 1000.0


def frame_levels_db(x, sample_rate, frame):
    """RMS level of consecutive frames of ``frame`` seconds, dB re the loudest frame."""
    size = round(frame * sample_rate)
    rms = np.sqrt(np.mean(x[:len(x) // size * size].reshape(-1, size) ** 2, axis=1))
    return 20 * np.log10(rms / rms.max() + 1e-12)


def envelope_spectrum_peak(x, sample_rate, lo, hi, smoothing=20.0):
    """Frequency (Hz) of the strongest amplitude modulation between lo and hi.

    The envelope is the rectified signal low-passed at ``smoothing`` Hz
    (zero-phase), sampled at 100 Hz; its mean is removed and the peak of its
    Hann-windowed periodogram between lo and hi is returned.
    """
    sos = signal.butter(4, smoothing, fs=sample_rate, output="sos")
    envelope = signal.sosfiltfilt(sos, np.abs(x))[::sample_rate // 100]
    envelope = envelope - envelope.mean()
    freqs, power = signal.periodogram(envelope, 100, window="hann", nfft=8 * len(envelope))
    band = (freqs >= lo) & (freqs <= hi)
    return freqs[band][np.argmax(power[band])]


def count_bursts(x, sample_rate, on_db=-20.0, off_db=-30.0, smoothing=20.0):
    """Number of sound bursts: rises of the smoothed envelope through ``on_db``.

    The envelope is the rectified signal low-passed at ``smoothing`` Hz
    (zero-phase), in dB re its maximum; a burst starts where it rises above
    ``on_db`` and the next can start only after it has fallen below
    ``off_db`` (hysteresis, so that flutter within a burst is not counted).
    """
    sos = signal.butter(2, smoothing, fs=sample_rate, output="sos")
    envelope = np.abs(signal.sosfiltfilt(sos, np.abs(x)))
    level = 20 * np.log10(envelope / envelope.max() + 1e-12)
    count, inside = 0, False
    for value in level[::sample_rate // 1000]:
        if not inside and value > on_db:
            count, inside = count + 1, True
        elif inside and value < off_db:
            inside = False
    return count


def modulation_peak(x, sample_rate, lo, hi):
    """Frequency (Hz) of the strongest fast amplitude modulation (Hilbert envelope)."""
    envelope = np.abs(signal.hilbert(x))
    freqs, power = signal.welch(envelope - envelope.mean(), sample_rate, nperseg=8192)
    band = (freqs >= lo) & (freqs <= hi)
    return freqs[band][np.argmax(power[band])]


# -- the contract every generator keeps ----------------------------------------------


@pytest.mark.parametrize("sample_rate", RATES)
@pytest.mark.parametrize("duration", [0.0, 0.0101, 1.2345])
@pytest.mark.parametrize("name", NAMES)
def test_every_generator_returns_round_duration_times_sample_rate_mono_float64_samples(
        name, duration, sample_rate):
    audio = generate(name, duration, sample_rate, seed=3)

    assert audio.shape == (round(duration * sample_rate),)
    assert audio.dtype == np.float64


@pytest.mark.parametrize("sample_rate", RATES)
@pytest.mark.parametrize("name", NAMES)
def test_every_generator_is_finite_and_peaks_at_half_full_scale(name, sample_rate):
    audio = render(name, sample_rate)

    assert np.all(np.isfinite(audio))
    assert_allclose(np.max(np.abs(audio)), 0.5, rtol=1e-12)


@pytest.mark.parametrize("sample_rate", [8000, 96000])
@pytest.mark.parametrize("name", NAMES)
def test_every_generator_works_at_low_and_high_sample_rates(name, sample_rate):
    audio = generate(name, 2.0, sample_rate)

    assert audio.shape == (2 * sample_rate,)
    assert np.all(np.isfinite(audio))
    assert_allclose(np.max(np.abs(audio)), 0.5, rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_equal_seeds_give_identical_arrays(name):
    first = generate(name, 3.0, 48000, seed=7)
    second = generate(name, 3.0, 48000, seed=7)

    assert_array_equal(first, second)


@pytest.mark.parametrize("name", NAMES)
def test_different_seeds_give_different_arrays(name):
    first = generate(name, 3.0, 48000, seed=7)
    second = generate(name, 3.0, 48000, seed=8)

    assert not np.array_equal(first, second)


@pytest.mark.parametrize("name", NAMES)
def test_generate_with_defaults_equals_calling_the_function_itself(name):
    entry = GENERATORS[name]

    assert_array_equal(generate(name, 2.0, 44100, seed=5),
                       entry.function(2.0, 44100, seed=5, **entry.defaults()))


@pytest.mark.parametrize("name", NAMES)
def test_the_output_does_not_depend_on_a_parameter_given_at_its_default_or_left_out(name):
    defaults = GENERATORS[name].defaults()

    assert_array_equal(generate(name, 2.0, 48000, seed=2, **defaults),
                       generate(name, 2.0, 48000, seed=2))


# -- the registry ----------------------------------------------------------------------


def test_the_registry_holds_the_seven_generators_by_their_function_names():
    assert NAMES == ["whisper", "hair_brush", "scissors", "paper_crinkle", "package_open",
                     "tapping", "touch"]
    functions = [whisper, hair_brush, scissors, paper_crinkle, package_open, tapping, touch]
    for name, function in zip(NAMES, functions, strict=True):
        assert isinstance(GENERATORS[name], Generator)
        assert GENERATORS[name].name == name
        assert GENERATORS[name].function is function


@pytest.mark.parametrize("name", NAMES)
def test_every_entry_has_a_one_line_description_and_a_valid_parameter_table(name):
    entry = GENERATORS[name]

    assert entry.description and "\n" not in entry.description
    assert entry.params
    for param_name, param in entry.params.items():
        assert isinstance(param, Param) and len(param) == 4
        default, unit, allowed, description = param
        assert isinstance(unit, str) and description and "\n" not in description
        if isinstance(default, str):
            assert default in allowed and all(isinstance(c, str) for c in allowed)
        else:
            lo, hi = allowed
            assert lo <= default <= hi, param_name
        assert param.problem(param_name, default) is None


@pytest.mark.parametrize("name", NAMES)
def test_the_table_defaults_match_the_function_signature(name):
    entry = GENERATORS[name]
    signature = inspect.signature(entry.function).parameters
    keyword_only = {key: p.default for key, p in signature.items()
                    if p.kind is inspect.Parameter.KEYWORD_ONLY and key != "seed"}

    assert list(signature)[:2] == ["duration", "sample_rate"]
    assert signature["seed"].default == 0
    assert keyword_only == entry.defaults()


def test_the_parameter_tables_are_read_only():
    with pytest.raises(TypeError):
        GENERATORS["touch"].params["depth"] = Param(0.5, "", (0.0, 1.0), "x")


# -- parameter validation --------------------------------------------------------------


def _bad_values(param):
    if param.is_choice:
        return ["metal", 3]
    lo, hi = param.allowed
    return [lo - max(abs(lo), 1.0) * 0.5, hi * 2 + 1, float("nan"), "fast", True]


CASES = [(name, key, bad) for name, entry in GENERATORS.items()
         for key, param in entry.params.items() for bad in _bad_values(param)]


@pytest.mark.parametrize(("name", "key", "bad"), CASES)
def test_out_of_range_parameters_are_rejected_by_name_value_and_allowed_range(name, key, bad):
    param = GENERATORS[name].params[key]
    if param.is_choice:
        allowed = r"one of " + r", ".join(f"'{c}'" for c in param.allowed)
    else:
        allowed = rf"a number in \[{param.allowed[0]:g}, {param.allowed[1]:g}\]"

    with pytest.raises(GeneratorError, match=rf"^{key} is .+ but must be {allowed}"):
        generate(name, 1.0, 48000, **{key: bad})
    with pytest.raises(GeneratorError, match=rf"^{key} is .+ but must be {allowed}"):
        GENERATORS[name].function(1.0, 48000, **{key: bad})


def test_the_message_shows_the_value_and_the_unit():
    with pytest.raises(GeneratorError, match=r"^tap_rate is 0\.1 but must be a number in "
                                             r"\[0\.5, 16\] taps/s$"):
        tapping(1.0, 48000, tap_rate=0.1)
    with pytest.raises(GeneratorError, match=r"^surface is 'metal' but must be one of "
                                             r"'wood', 'plastic', 'glass'$"):
        tapping(1.0, 48000, surface="metal")
    with pytest.raises(GeneratorError, match=r"^depth is 1\.5 but must be a number in "
                                             r"\[0, 1\]$"):
        touch(1.0, 48000, depth=np.float64(1.5))


def test_unknown_parameter_names_are_rejected_with_the_allowed_names():
    with pytest.raises(GeneratorError, match=r"^parameter 'speed' is unknown but must be one "
                                             r"of the whisper parameters: syllable_rate, "
                                             r"phrase_length, pause, sibilance$"):
        generate("whisper", 1.0, 48000, speed=2.0)


def test_an_unknown_generator_name_is_rejected_with_the_known_names():
    with pytest.raises(GeneratorError, match=r"^generator 'rain' is unknown but must be one "
                                             r"of: whisper, hair_brush, .*touch$"):
        generate("rain", 1.0, 48000)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"duration": -1.0}, r"^duration is -1\.0 but must be a finite number >= 0 s$"),
    ({"duration": float("inf")}, r"^duration is inf but must be a finite number >= 0 s$"),
    ({"sample_rate": 44100.5}, r"^sample_rate is 44100\.5 but must be an integer in "
                               r"\[8000, 384000\] Hz$"),
    ({"sample_rate": 4000}, r"^sample_rate is 4000 but must be an integer in "),
    ({"seed": -1}, r"^seed is -1 but must be an integer >= 0$"),
    ({"seed": 1.5}, r"^seed is 1\.5 but must be an integer >= 0$"),
])
@pytest.mark.parametrize("name", ["whisper", "tapping"])
def test_bad_duration_sample_rate_and_seed_are_rejected(name, kwargs, message):
    arguments = {"duration": 1.0, "sample_rate": 48000, "seed": 0, **kwargs}

    with pytest.raises(GeneratorError, match=message):
        generate(name, **arguments)
    with pytest.raises(GeneratorError, match=message):
        GENERATORS[name].function(arguments.pop("duration"), arguments.pop("sample_rate"),
                                  **arguments)


def test_every_problem_of_a_call_is_reported_at_once():
    with pytest.raises(GeneratorError) as info:
        generate("scissors", -1.0, 48000, snip_rate=0.0, ring_time=1.0, blade="steel")

    message = str(info.value)
    for part in ("duration is -1.0", "snip_rate is 0.0", "ring_time is 1.0",
                 "parameter 'blade' is unknown"):
        assert part in message


def test_problems_collects_messages_without_raising_for_a_scene_validator():
    entry = GENERATORS["hair_brush"]

    assert entry.problems({"stroke_rate": 2.0}) == []
    assert entry.problems({"stroke_rate": 20.0, "comb": 1}) == [
        "stroke_rate is 20.0 but must be a number in [0.1, 8] strokes/s",
        "parameter 'comb' is unknown but must be one of the hair_brush parameters: "
        "stroke_rate, stroke_length, bristle_density",
    ]


def test_parameter_problems_are_data_with_the_parameter_name_as_their_path():
    problems = GENERATORS["hair_brush"].parameter_problems({"stroke_rate": 20.0, "comb": 1})

    assert [problem.path for problem in problems] == [("stroke_rate",), ()]
    assert (problems[0].value, problems[0].allowed) == (20.0, "a number in [0.1, 8] strokes/s")
    with pytest.raises(GeneratorError) as info:
        tapping(-1.0, 48000, tap_rate=0.1)
    assert [problem.path for problem in info.value.problems] == [("duration",), ("tap_rate",)]


def test_generator_errors_are_value_errors_and_spatial_asmr_errors():
    assert issubclass(GeneratorError, ValueError)
    assert issubclass(GeneratorError, SpatialAsmrError)


# -- character: spectrum ---------------------------------------------------------------


@pytest.mark.parametrize("sample_rate", RATES)
@pytest.mark.parametrize(("name", "params", "lo", "hi"), [
    ("whisper", {}, 1500.0, 6000.0),
    ("hair_brush", {}, 1500.0, 8000.0),
    ("scissors", {}, 2000.0, 12000.0),
    ("paper_crinkle", {}, 1000.0, 10000.0),
    ("touch", {}, 0.0, 1500.0),
    ("touch", {"cutoff": 2000.0}, 0.0, 1500.0),
    ("tapping", {"surface": "wood"}, 0.0, 1500.0),
])
def test_the_spectral_centroid_lies_in_the_documented_band(name, params, lo, hi, sample_rate):
    for seed in (0, 1):
        centroid = spectral_centroid(render(name, sample_rate, seed, **params), sample_rate)
        assert lo < centroid < hi, (seed, centroid)


def test_tapping_surfaces_rise_in_pitch_from_wood_to_plastic_to_glass():
    centroids = [spectral_centroid(render("tapping", surface=surface), 48000)
                 for surface in ("wood", "plastic", "glass")]

    assert centroids[0] < centroids[1] < centroids[2]


def test_touch_keeps_most_of_its_power_below_2_khz():
    assert band_fraction(render("touch"), 48000, 0.0, 2000.0) > 0.9


def test_whisper_sibilance_adds_power_above_5_khz():
    dull = band_fraction(render("whisper", sibilance=0.0), 48000, 5000.0, 24000.0)
    hissy = band_fraction(render("whisper", sibilance=1.0), 48000, 5000.0, 24000.0)

    assert hissy > 1.3 * dull


def test_package_open_tape_pull_is_brighter_than_the_cardboard_rustle():
    audio = render("package_open", duration=10.0)
    fs = 48000
    for start in (0.0, 5.0):  # cycles of 5 s: tape within 0.3-1.05 s, rustle 2.65-4.8 s
        tape = spectral_centroid(audio[round((start + 0.35) * fs):round((start + 1.0) * fs)], fs)
        rustle = spectral_centroid(audio[round((start + 2.7) * fs):round((start + 4.75) * fs)],
                                   fs)
        assert tape > 2 * rustle
        assert rustle < 2000.0


# -- character: transients and dynamics --------------------------------------------------


@pytest.mark.parametrize("sample_rate", RATES)
@pytest.mark.parametrize("surface", ["wood", "plastic", "glass"])
@pytest.mark.parametrize("tap_rate", [2.0, 4.0, 8.0])
def test_tapping_onset_count_is_tap_rate_times_duration_within_20_percent(
        tap_rate, surface, sample_rate):
    audio = render("tapping", sample_rate, tap_rate=tap_rate, surface=surface)
    count = len(onset_times(audio, sample_rate))

    assert count == pytest.approx(tap_rate * DURATION, rel=0.2)


@pytest.mark.parametrize("snip_rate", [0.5, 2.0])
def test_scissors_onset_count_is_snip_rate_times_duration_within_20_percent(snip_rate):
    count = len(onset_times(render("scissors", snip_rate=snip_rate, duration=12.0), 48000))

    assert count == pytest.approx(snip_rate * 12.0, rel=0.2)


def test_paper_crinkle_has_many_more_transients_per_second_than_touch():
    paper = len(onset_times(render("paper_crinkle"), 48000)) / DURATION
    soft = len(onset_times(render("touch"), 48000)) / DURATION

    assert paper > 10.0
    assert paper > 20 * max(soft, 1 / DURATION)


def test_more_paper_crinkle_density_gives_more_transients():
    # the detector merges clicks closer than its 5 ms refractory time, so the
    # count grows more slowly than the density
    sparse = len(onset_times(render("paper_crinkle", density=10.0), 48000))
    dense = len(onset_times(render("paper_crinkle", density=300.0), 48000))

    assert dense > 3 * sparse


@pytest.mark.parametrize("sample_rate", RATES)
def test_touch_has_no_transients_and_no_sudden_level_steps(sample_rate):
    for seed in (0, 1, 2):
        audio = render("touch", sample_rate, seed)
        # the first onset is the fade-in from silence
        assert np.all(onset_times(audio, sample_rate) < 0.1)
        assert np.max(np.diff(frame_levels_db(audio, sample_rate, 0.02)[2:-2])) < 8.0


@pytest.mark.parametrize("name", ["tapping", "paper_crinkle", "scissors"])
def test_impulsive_generators_have_sudden_level_steps(name):
    assert np.max(np.diff(frame_levels_db(render(name), 48000, 0.02))) > 20.0


@pytest.mark.parametrize("sample_rate", RATES)
@pytest.mark.parametrize("name", ["scissors", "tapping", "paper_crinkle"])
def test_impulsive_generators_have_a_high_crest_factor(name, sample_rate):
    for seed in (0, 1):
        assert crest_factor(render(name, sample_rate, seed)) > 12.0


@pytest.mark.parametrize("sample_rate", RATES)
def test_touch_has_a_low_crest_factor(sample_rate):
    for seed in (0, 1):
        assert crest_factor(render("touch", sample_rate, seed)) < 9.0


def test_hair_brush_bristle_ticks_raise_the_crest_factor():
    swish = crest_factor(render("hair_brush", bristle_density=0.0))
    crackle = crest_factor(render("hair_brush", bristle_density=800.0))

    assert crackle > 1.3 * swish


@pytest.mark.parametrize("stroke_rate", [0.5, 1.5, 3.0])
def test_hair_brush_stroke_count_is_stroke_rate_times_duration_within_20_percent(stroke_rate):
    audio = render("hair_brush", stroke_rate=stroke_rate, stroke_length=0.2, duration=12.0)

    assert count_bursts(audio, 48000) == pytest.approx(stroke_rate * 12.0, rel=0.2)


def test_scissors_scrape_precedes_each_snip_and_is_quieter():
    fs = 48000
    audio = render("scissors", duration=12.0)
    bare = render("scissors", duration=12.0, scrape_length=0.0)
    for sound, scraped in ((audio, True), (bare, False)):
        onsets = onset_times(sound, fs)
        assert len(onsets) >= 10
        for onset in onsets[1:]:
            i = round(onset * fs)
            before = np.sqrt(np.mean(sound[i - round(0.06 * fs):i - round(0.005 * fs)] ** 2))
            snip = np.sqrt(np.mean(sound[i:i + round(0.02 * fs)] ** 2))
            ratio_db = 20 * np.log10(before / snip + 1e-12)
            if scraped:
                assert -25.0 < ratio_db < -6.0
            else:
                assert ratio_db < -60.0


def test_scissors_ring_time_is_the_time_constant_of_the_ring():
    def decay_time(ring_time):
        """Median time from a snip's loudest 2 ms frame until 30 dB below it."""
        audio = render("scissors", scrape_length=0.0, ring_time=ring_time, snip_rate=0.5)
        levels = frame_levels_db(audio, 48000, 0.002)
        times = []
        for onset in onset_times(audio, 48000):
            ring = levels[round(onset / 0.002):round((onset + 0.9) / 0.002)]
            if len(ring) == 450:  # the whole 0.9 s after the snip lies inside the render
                loudest = np.argmax(ring)
                times.append(np.argmax(ring[loudest:] < ring[loudest] - 30.0) * 0.002)
        assert len(times) >= 2
        return np.median(times)

    # an exponential decay with time constant tau falls 30 dB in 3.45 tau
    # (30 / (20 log10 e)); the modes' time constants are ring_time * 0.6-1.4
    for ring_time in (0.015, 0.08):
        assert decay_time(ring_time) == pytest.approx(3.45 * ring_time, rel=0.3)


# -- character: rhythm -------------------------------------------------------------------


@pytest.mark.parametrize("sample_rate", RATES)
@pytest.mark.parametrize("syllable_rate", [3.0, 4.0, 6.0])
def test_whisper_envelope_spectrum_peaks_within_30_percent_of_syllable_rate(
        syllable_rate, sample_rate):
    for seed in (0, 1):
        audio = render("whisper", sample_rate, seed, duration=12.0, syllable_rate=syllable_rate)
        peak = envelope_spectrum_peak(audio, sample_rate, 1.0, 16.0)
        assert peak == pytest.approx(syllable_rate, rel=0.3), seed


def test_whisper_pauses_make_quiet_stretches_between_phrases():
    def quiet_fraction(pause):
        levels = frame_levels_db(render("whisper", pause=pause, duration=12.0), 48000, 0.05)
        return np.mean(levels < np.percentile(levels, 95) - 20.0)

    assert quiet_fraction(1.5) > quiet_fraction(0.0) + 0.2


@pytest.mark.parametrize("rub_rate", [0.5, 1.2, 3.0])
def test_touch_swells_at_rub_rate(rub_rate):
    audio = render("touch", rub_rate=rub_rate, duration=12.0)
    peak = envelope_spectrum_peak(audio, 48000, 0.2, 8.0, smoothing=10.0)

    assert peak == pytest.approx(rub_rate, rel=0.2)


def test_touch_depth_zero_is_a_steady_rub():
    steady = frame_levels_db(render("touch", depth=0.0), 48000, 0.25)[1:-1]
    swelling = frame_levels_db(render("touch", depth=1.0), 48000, 0.25)[1:-1]

    assert np.ptp(steady) < 6.0
    assert np.ptp(swelling) > 12.0


@pytest.mark.parametrize("cycle", [3.0, 5.0])
def test_package_open_repeats_every_cycle(cycle):
    audio = render("package_open", duration=4 * cycle, cycle=cycle)
    levels = frame_levels_db(audio, 48000, 0.05)
    envelope = 10 ** (levels / 20)
    envelope -= envelope.mean()
    correlation = np.correlate(envelope, envelope, mode="full")[len(envelope) - 1:]
    lags = np.arange(len(correlation)) * 0.05
    search = (lags > 0.5 * cycle) & (lags < 1.5 * cycle)

    assert lags[search][np.argmax(correlation[search])] == pytest.approx(cycle, rel=0.1)


@pytest.mark.parametrize("peel_rate", [100.0, 300.0])
def test_package_open_tape_rasp_is_modulated_at_peel_rate(peel_rate):
    fs = 48000
    audio = render("package_open", duration=10.0, peel_rate=peel_rate)
    for start in (0.0, 5.0):
        tape = audio[round((start + 0.35) * fs):round((start + 1.0) * fs)]
        # the slip rate rises from 60 % to full and wobbles +-15 %
        peak = modulation_peak(tape, fs, 20.0, 1500.0)
        assert 0.5 * peel_rate < peak < 1.2 * peel_rate


# -- streaming: generate_chunks -------------------------------------------------------


def _layout(n, sample_rate):
    """Segment lengths and crossfade length, as generate_chunks documents them."""
    segment, overlap = segment_samples(sample_rate), round(CROSSFADE_SECONDS * sample_rate)
    count = int(np.ceil((n - overlap) / (segment - overlap)))
    total = n + (count - 1) * overlap
    lengths = [total // count + (k < total % count) for k in range(count)]
    return lengths, overlap


def _segment_seed(seed, k):
    return seed if k == 0 else int(np.random.SeedSequence([seed, k]).generate_state(1)[0])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("duration", [0.0, 3.0, SEGMENT_SECONDS])
def test_generate_chunks_up_to_a_segment_is_generate_bit_for_bit(name, duration):
    chunks = list(generate_chunks(name, duration, 44100, seed=5))
    assert len(chunks) == 1
    assert_array_equal(chunks[0], generate(name, duration, 44100, seed=5))


@pytest.mark.parametrize("name", NAMES)
def test_a_long_sound_is_independently_seeded_segments_joined_by_equal_power_crossfades(name):
    fs, seed = 48000, 7
    n = 25 * fs
    chunks = list(generate_chunks(name, 25.0, fs, seed=seed))
    audio = np.concatenate(chunks)
    assert len(audio) == n
    assert_array_equal(audio, np.concatenate(list(generate_chunks(name, 25.0, fs, seed=seed))))
    lengths, x = _layout(n, fs)
    assert [len(c) for c in chunks] == [m - x for m in lengths[:-1]] + [lengths[-1]]
    t = (np.arange(x) + 0.5) / x
    start, gains, previous = 0, [], None
    for k, m in enumerate(lengths):
        alone = generate(name, m / fs, fs, seed=_segment_seed(seed, k))
        inner = slice(x if k else 0, m - x if k < len(lengths) - 1 else m)
        # a segment is its generator's own render, scaled
        gain = np.dot(audio[start:start + m][inner], alone[inner]) / np.dot(alone[inner],
                                                                            alone[inner])
        assert_allclose(audio[start:start + m][inner], gain * alone[inner], rtol=1e-12,
                        atol=1e-15)
        if previous is not None:
            # the join: the earlier segment under cos, the later under sin
            earlier = previous[-x:]
            assert_allclose(audio[start:start + x],
                            np.cos(np.pi / 2 * t) * earlier + np.sin(np.pi / 2 * t) * gain
                            * alone[:x], rtol=1e-12, atol=1e-15)
        gains.append(gain)
        previous = gain * alone
        start += m - x
    assert gains[0] == 1.0 and all(0 < g <= 10 ** (3 / 20) + 1e-12 for g in gains)


@pytest.mark.parametrize("name", NAMES)
def test_a_long_sound_keeps_its_level_and_is_continuous_at_the_joins(name):
    fs = 48000
    chunks = list(generate_chunks(name, 25.0, fs, seed=3))
    audio = np.concatenate(chunks)
    x = round(CROSSFADE_SECONDS * fs)
    ends = np.cumsum([len(c) for c in chunks])
    levels = [20 * np.log10(np.sqrt(np.mean(audio[a + x:b - x] ** 2)))
              for a, b in zip(np.r_[0, ends[:-1]], ends, strict=True)]
    assert np.ptp(levels) < 1.5
    steps = np.abs(np.diff(audio))
    for edge in np.concatenate([ends[:-1], ends[:-1] + x]):  # each crossfade's two ends
        assert steps[edge - 2:edge + 2].max() <= np.percentile(steps, 99.9)
    outside = np.ones(len(audio), bool)
    for edge in ends[:-1]:
        outside[edge:edge + x] = False
    assert np.abs(audio[outside]).max() <= 0.5 * 10 ** (3 / 20) + 1e-12


def test_generate_chunks_checks_its_arguments_when_called():
    with pytest.raises(GeneratorError, match="generator 'hum' is unknown but must be one of"):
        generate_chunks("hum", 20.0, 48000)
    with pytest.raises(GeneratorError, match="tap_rate is -1"):
        generate_chunks("tapping", 20.0, 48000, tap_rate=-1)
    with pytest.raises(GeneratorError, match="duration is"):
        generate_chunks("tapping", -1.0, 48000)


@pytest.mark.parametrize(("sample_rate", "seconds"), [(44100, 10.0), (48000, 10.0),
                                                      (96000, 5.0), (384000, 1.25)])
def test_a_segment_holds_as_many_samples_at_high_rates_as_at_48k(sample_rate, seconds):
    assert segment_samples(sample_rate) == round(seconds * sample_rate)
    long = list(generate_chunks("touch", 3 * seconds, sample_rate, seed=1))
    assert max(len(c) for c in long) <= segment_samples(sample_rate)
    assert sum(len(c) for c in long) == round(3 * seconds * sample_rate)
