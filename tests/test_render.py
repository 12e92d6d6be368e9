"""End-to-end rendering: motion artefacts, interpolation quality, geometry, gains."""

import numpy as np
import pytest
import soundfile as sf

from spatial_asmr import load_hrtf, load_scene
from spatial_asmr import render as _render_mastered
from spatial_asmr.testing import (
    leave_one_out_responses,
    log_spectral_distortion,
    motion_artefact_level,
)

RATE = 48000


def render(scene, dtype=np.float32):
    """The raw mix (these tests check the renderer, not the mastering)."""
    return _render_mastered(scene, dtype, master=False)


def _write(tmp_path, name, signal, rate=RATE):
    path = tmp_path / name
    sf.write(path, signal, rate, subtype="DOUBLE")
    return path


def _scene(tmp_path, body):
    path = tmp_path / "scene.yaml"
    path.write_text(body)
    return load_scene(path)


@pytest.fixture
def sine_1k(tmp_path):
    t = np.arange(3 * RATE) / RATE
    return _write(tmp_path, "sine.wav", 0.5 * np.sin(2 * np.pi * 1000 * t))


@pytest.mark.parametrize("interpolation", ["nearest", "barycentric"])
@pytest.mark.parametrize("block_size", [128, 512])
def test_sine_circling_the_head_has_motion_artefacts_below_minus_90_db(
        tmp_path, sine_1k, interpolation, block_size):
    # Measured: nearest -109 / -131 dB, barycentric -103 / -101 dB (B=128/512).
    scene = _scene(tmp_path, f"""
duration: 3
render: {{interpolation: {interpolation}, block_size: {block_size}}}
sources:
  - file: sine.wav
    trajectory:
      - {{time: 0, azimuth: 0, elevation: 0, distance: 1.4}}
      - {{time: 3, azimuth: 1080, elevation: 0, distance: 1.4}}
""")
    audio, rate = render(scene)
    assert motion_artefact_level(audio, rate) < -90


def test_rendered_barycentric_interpolation_beats_the_magnitude_blend(tmp_path):
    # Every 10th KEMAR direction left out in turn and rendered through the
    # moving-source path (delay lines included).
    hrtf = load_hrtf("kemar", RATE)
    held_out = np.arange(0, len(hrtf.positions), 10)
    rendered, measured = leave_one_out_responses(hrtf, held_out, "barycentric")
    lsd = log_spectral_distortion(rendered, measured, RATE).mean()
    nearest, measured_n = leave_one_out_responses(hrtf, held_out, "nearest")
    lsd_nearest = log_spectral_distortion(nearest, measured_n, RATE).mean()
    # the reference: magnitudes of the same three neighbours blended linearly
    n_fft = 2048
    mags = np.abs(np.fft.rfft(hrtf.raw, n_fft))
    f = np.fft.rfftfreq(n_fft, 1 / RATE)
    band = (f >= 200) & (f <= 16000)
    blend_lsd = []
    for i in held_out:
        keep = np.arange(len(hrtf.positions)) != i
        vec = _unit(hrtf.positions[keep])
        q = _unit(hrtf.positions[i:i + 1])[0]
        tri = _containing_triangle(vec, q)
        w = np.linalg.solve(vec[tri].T, q)
        w /= w.sum()
        rows = np.nonzero(keep)[0][tri]
        blend = np.einsum("k,kef->ef", w, mags[rows])
        err = 20 * np.log10(blend[:, band] / mags[i][:, band])
        blend_lsd.append(np.sqrt(np.mean(err ** 2, axis=-1)).mean())
    assert lsd <= np.mean(blend_lsd)
    assert lsd < 0.7 * lsd_nearest


def _unit(positions):
    az, el = np.radians(positions[:, 0]), np.radians(positions[:, 1])
    return np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], -1)


def _containing_triangle(vectors, q):
    from scipy.spatial import ConvexHull

    for simplex in ConvexHull(vectors).simplices:
        w = np.linalg.solve(vectors[simplex].T, q)
        if (w >= -1e-12).all():
            return simplex
    raise AssertionError("no triangle contains the query")


@pytest.mark.parametrize(("azimuth", "louder"), [(90, 0), (-90, 1), (270, 1)])
def test_a_source_on_one_side_is_louder_in_that_ear(tmp_path, azimuth, louder):
    rng = np.random.default_rng(0)
    _write(tmp_path, "noise.wav", 0.1 * rng.standard_normal(RATE // 2))
    audio, _ = render(_scene(tmp_path, f"""
sources:
  - file: noise.wav
    position: {{azimuth: {azimuth}, elevation: 0, distance: 1.4}}
"""))
    level = 10 * np.log10(np.mean(audio ** 2, axis=0))
    assert level[louder] - level[1 - louder] > 6


def test_trajectory_turns_counter_clockwise_from_front_to_left(tmp_path):
    rng = np.random.default_rng(1)
    _write(tmp_path, "noise.wav", 0.1 * rng.standard_normal(2 * RATE))
    audio, _ = render(_scene(tmp_path, """
duration: 2
sources:
  - file: noise.wav
    trajectory:
      - {time: 0, azimuth: 0, elevation: 0, distance: 1.4}
      - {time: 2, azimuth: 180, elevation: 0, distance: 1.4}
"""))
    # around t = 1 s the source is at azimuth 90: the left ear leads
    middle = audio[int(0.9 * RATE):int(1.1 * RATE)]
    level = 10 * np.log10(np.mean(middle ** 2, axis=0))
    assert level[0] - level[1] > 6


def test_distance_gain_follows_inverse_distance_relative_to_measurement(tmp_path):
    rng = np.random.default_rng(2)
    _write(tmp_path, "noise.wav", 0.1 * rng.standard_normal(RATE // 2))
    levels = []
    for distance in (1.4, 0.7, 2.8):
        audio, _ = render(_scene(tmp_path, f"""
render: {{near_field: false}}
sources:
  - file: noise.wav
    position: {{azimuth: 20, elevation: 0, distance: {distance}}}
"""), np.float64)
        levels.append(10 * np.log10(np.sum(audio ** 2)))
    np.testing.assert_allclose(np.diff(levels), [20 * np.log10(2), -20 * np.log10(4)],
                               atol=1e-9)


def test_gain_db_scales_the_output_exactly(tmp_path):
    rng = np.random.default_rng(3)
    _write(tmp_path, "noise.wav", 0.1 * rng.standard_normal(RATE // 4))
    out = []
    for gain in (0, -6):
        audio, _ = render(_scene(tmp_path, f"""
sources:
  - file: noise.wav
    gain_db: {gain}
    position: {{azimuth: 20, elevation: 0, distance: 1.4}}
"""), np.float64)
        out.append(audio)
    np.testing.assert_allclose(out[1], out[0] * 10 ** (-6 / 20), atol=1e-15)


def test_sources_at_other_rates_are_resampled_and_duration_is_honoured(tmp_path):
    t = np.arange(44100) / 44100
    _write(tmp_path, "tone.wav", 0.3 * np.sin(2 * np.pi * 500 * t), rate=44100)
    audio, rate = render(_scene(tmp_path, """
sample_rate: 48000
duration: 0.75
sources:
  - file: tone.wav
    position: {azimuth: 0, elevation: 0, distance: 1.4}
"""))
    assert rate == 48000
    assert audio.shape == (36000, 2)
    spectrum = np.abs(np.fft.rfft(audio[12000:36000, 0] * np.hanning(24000)))
    assert np.fft.rfftfreq(24000, 1 / 48000)[np.argmax(spectrum)] == pytest.approx(500, abs=2)


def test_default_duration_keeps_the_whole_hrtf_tail(tmp_path):
    _write(tmp_path, "click.wav", np.r_[1.0, np.zeros(99)])
    audio, _ = render(_scene(tmp_path, """
sources:
  - file: click.wav
    position: {azimuth: 45, elevation: 0, distance: 1.4}
"""), np.float64)
    hrtf = load_hrtf("kemar", RATE)
    assert len(audio) >= 100 + hrtf.n_taps
    assert np.abs(audio[-50:]).max() < 1e-9 * np.abs(audio).max()


def test_static_and_still_moving_sources_render_the_same(tmp_path):
    # A trajectory that does not move goes through the delay lines; a static
    # position has its delay folded into the filter.  Both use one
    # interpolator, so the results agree.
    rng = np.random.default_rng(4)
    _write(tmp_path, "noise.wav", 0.1 * rng.standard_normal(RATE // 4))
    static, _ = render(_scene(tmp_path, """
duration: 0.3
sources:
  - file: noise.wav
    position: {azimuth: 33, elevation: 12, distance: 1.4}
"""))
    still, _ = render(_scene(tmp_path, """
duration: 0.3
sources:
  - file: noise.wav
    trajectory:
      - {time: 0, azimuth: 33, elevation: 12, distance: 1.4}
      - {time: 1, azimuth: 33, elevation: 12, distance: 1.4}
"""))
    assert np.abs(static - still).max() < 1e-6 * np.abs(static).max()


@pytest.mark.parametrize("moving", [False, True], ids=["all static", "with a moving source"])
def test_sources_add_up_over_many_chunks_and_stay_silent_after_they_end(tmp_path, moving):
    # 1.5 s spans several chunks of the moving engine (whose input buffer is
    # reused); the short source ends in the first.  Static chunks are longer:
    # there the check is that a chunk's input is zero beyond the signal.
    rng = np.random.default_rng(5)
    _write(tmp_path, "short.wav", 0.1 * rng.standard_normal(RATE // 10))
    _write(tmp_path, "long.wav", 0.1 * rng.standard_normal(3 * RATE // 2))
    second = ("trajectory:\n      - {time: 0, azimuth: 0, elevation: 0, distance: 1.4}\n"
              "      - {time: 1.5, azimuth: 180, elevation: 0, distance: 1.4}"
              if moving else "position: {azimuth: -60, elevation: 0, distance: 1.4}")
    head = "duration: 1.5\nsources:\n"
    short = "  - file: short.wav\n    position: {azimuth: 40, elevation: 0, distance: 1.4}\n"
    long = f"  - file: long.wav\n    {second}\n"
    both, _ = render(_scene(tmp_path, head + short + long), np.float64)
    alone_short, _ = render(_scene(tmp_path, head + short), np.float64)
    alone_long, _ = render(_scene(tmp_path, head + long), np.float64)

    assert both.shape == alone_short.shape == alone_long.shape == (3 * RATE // 2, 2)
    assert np.abs(alone_short[RATE // 5:]).max() == 0.0
    assert np.abs(both - alone_short - alone_long).max() < 1e-12 * np.abs(both).max()


def test_static_sources_in_turn_are_read_where_they_sound_and_let_go_after(tmp_path):
    # 20 s: four chunks of the fixed-filter engine; the three sources sound
    # in turn.  The mix is each source's signal convolved with its fixed
    # filter (scipy), and once rendered every stream holds no samples.
    from scipy.signal import fftconvolve

    from spatial_asmr.renderer.plan import RenderPlan
    from spatial_asmr.sources.stream import source_signal

    rng = np.random.default_rng(8)
    body = "duration: 20\nsources:\n"
    for i, (start, azimuth) in enumerate([(0.5, 40), (9.0, -70), (15.5, 150)]):
        _write(tmp_path, f"n{i}.wav", 0.1 * rng.standard_normal(RATE))
        body += (f"  - file: n{i}.wav\n    start: {start}\n"
                 f"    position: {{azimuth: {azimuth}, elevation: 0, distance: 1.4}}\n")
    scene = _scene(tmp_path, body)
    plan = RenderPlan(scene, np.float64)
    mix = np.concatenate(list(plan.chunks()))

    expected = np.zeros((20 * RATE, 2))
    for spec, (_, _, row) in zip(scene.sources, plan.channels, strict=True):
        x = source_signal(spec, RATE, 20.0)
        h = plan.static_filters[row - plan.table.shape[0]]
        for ear in (0, 1):
            y = fftconvolve(x, h[ear])[:20 * RATE]
            expected[:len(y), ear] += y
    assert mix.shape == expected.shape
    assert np.abs(mix - expected).max() < 1e-12 * np.abs(expected).max()
    assert all(src.stream._buffer.nbytes == 0 for src in plan.sources)


def test_moving_sources_in_turn_render_in_long_chunks_and_add_up(tmp_path):
    # 12 moving sources, 0.4 s each, one every 0.5 s: 24 channels, of which
    # a few apply a filter in any chunk; the chunks are as long as those few
    # allow, and the mix is the sum of the sources rendered alone (stems)
    from spatial_asmr.renderer.blocks import CHUNK_BUDGET, LONGEST_CHUNK
    from spatial_asmr.renderer.plan import RenderPlan

    rng = np.random.default_rng(9)
    body = "duration: 6.5\nsources:\n"
    for i in range(12):
        _write(tmp_path, f"m{i}.wav", 0.1 * rng.standard_normal(2 * RATE // 5))
        body += (f"  - file: m{i}.wav\n    start: {0.5 * i}\n"
                 "    trajectory: {orbit: {distance: 0.3, period: 2, "
                 f"start_azimuth: {30 * i}}}}}\n")
    scene = _scene(tmp_path, body)
    plan = RenderPlan(scene, np.float64)
    assert len(plan.channels) * LONGEST_CHUNK > CHUNK_BUDGET
    chunks = list(plan.chunks())
    assert len(chunks[0]) == LONGEST_CHUNK
    mix = np.concatenate(chunks)
    stems = sum(np.concatenate(list(RenderPlan(scene, np.float64, solo=i).chunks()))
                for i in range(12))
    assert np.abs(mix).max() > 0
    # (float64 rounding of sums taken in another order; a wrong hand-over
    # between chunks would be at -60 dB or more)
    assert np.abs(mix - stems).max() < 1e-10 * np.abs(mix).max()


def test_a_turned_head_hears_a_frontal_source_on_the_other_side(tmp_path):
    rng = np.random.default_rng(5)
    _write(tmp_path, "noise.wav", 0.1 * rng.standard_normal(RATE // 4))
    turned, _ = render(_scene(tmp_path, """
listener:
  orientation: [{time: 0, yaw: 90}]
sources:
  - file: noise.wav
    position: {azimuth: 0, elevation: 0, distance: 1.4}
"""), np.float64)
    moved, _ = render(_scene(tmp_path, """
sources:
  - file: noise.wav
    position: {azimuth: -90, elevation: 0, distance: 1.4}
"""), np.float64)
    np.testing.assert_allclose(turned, moved, atol=1e-12)


def test_head_turn_keyframes_move_a_static_source_like_the_opposite_trajectory(tmp_path):
    rng = np.random.default_rng(6)
    _write(tmp_path, "noise.wav", 0.1 * rng.standard_normal(RATE // 2))
    turning, _ = render(_scene(tmp_path, """
duration: 0.5
listener:
  orientation: [{time: 0, yaw: 0}, {time: 0.5, yaw: 60}]
sources:
  - file: noise.wav
    position: {azimuth: 20, elevation: 0, distance: 1.4}
"""), np.float64)
    counter, _ = render(_scene(tmp_path, """
duration: 0.5
sources:
  - file: noise.wav
    trajectory:
      - {time: 0, azimuth: 20, elevation: 0, distance: 1.4}
      - {time: 0.5, azimuth: -40, elevation: 0, distance: 1.4}
"""), np.float64)
    # turning the head by yaw puts the source at azimuth 20 - yaw
    np.testing.assert_allclose(turning, counter, atol=1e-6 * np.abs(counter).max())


def test_an_orbit_path_renders_like_the_equivalent_keyframes(tmp_path):
    rng = np.random.default_rng(8)
    _write(tmp_path, "noise.wav", 0.1 * rng.standard_normal(RATE // 2))
    orbit, _ = render(_scene(tmp_path, """
duration: 0.5
sources:
  - file: noise.wav
    trajectory:
      orbit: {distance: 0.8, elevation: 10, period: 2, start_azimuth: 30}
"""), np.float64)
    keyframes, _ = render(_scene(tmp_path, """
duration: 0.5
sources:
  - file: noise.wav
    trajectory:
      - {time: 0, azimuth: 30, elevation: 10, distance: 0.8}
      - {time: 2, azimuth: 390, elevation: 10, distance: 0.8}
"""), np.float64)
    np.testing.assert_allclose(orbit, keyframes, atol=1e-9 * np.abs(keyframes).max())


def test_source_start_trim_loop_and_fades_place_the_sound_on_the_time_line(tmp_path):
    from spatial_asmr.sources.stream import source_signal

    tone = np.sin(2 * np.pi * 440 * np.arange(RATE) / RATE)
    _write(tmp_path, "tone.wav", tone)
    scene = _scene(tmp_path, """
duration: 3
sources:
  - file: tone.wav
    start: 0.5
    trim: [0.25, 0.75]
    loop: true
    fade_in: 0.1
    fade_out: 0.2
    gain_db: -6
    position: {azimuth: 0, elevation: 0, distance: 1.4}
""")
    signal = source_signal(scene.sources[0], RATE, scene.duration)
    assert len(signal) == 3 * RATE
    assert not signal[:RATE // 2].any()  # silent before the start
    g = 10 ** (-6 / 20)
    middle = signal[RATE:RATE + 100]
    # 0.5 s after the start the loop has wrapped exactly once: back at the trim start
    np.testing.assert_allclose(middle, g * tone[RATE // 4:RATE // 4 + 100], atol=1e-12)
    n_in, n_out = int(0.1 * RATE), int(0.2 * RATE)
    ramp_in = 0.5 * (1 - np.cos(np.pi * (np.arange(n_in) + 0.5) / n_in))
    np.testing.assert_allclose(signal[RATE // 2:RATE // 2 + n_in],
                               g * tone[RATE // 4:RATE // 4 + n_in] * ramp_in, atol=1e-12)
    assert abs(signal[-1]) < 1e-4 and np.abs(signal[-n_out:-n_out + 100]).max() > 0.1


def test_channel_picks_one_channel_of_a_multichannel_file(tmp_path):
    stereo = np.stack([np.zeros(RATE // 4), 0.2 * np.ones(RATE // 4)], axis=1)
    sf.write(tmp_path / "stereo.wav", stereo, RATE, subtype="DOUBLE")
    audio, _ = render(_scene(tmp_path, """
sources:
  - file: stereo.wav
    channel: 1
    position: {azimuth: 0, elevation: 0, distance: 1.4}
"""), np.float64)
    assert np.abs(audio).max() > 0.01
    silent, _ = render(_scene(tmp_path, """
sources:
  - file: stereo.wav
    channel: 0
    position: {azimuth: 0, elevation: 0, distance: 1.4}
"""), np.float64)
    assert np.abs(silent).max() == 0


def test_a_generator_source_renders_the_generator_output(tmp_path):
    from spatial_asmr.generators import generate

    audio, _ = render(_scene(tmp_path, """
duration: 1
render: {distance_gain: false}
sources:
  - generator: {type: tapping, seed: 3, tap_rate: 6}
    position: {azimuth: 0, elevation: 0, distance: 1.4}
"""), np.float64)
    dry = generate("tapping", 1.0, RATE, seed=3, tap_rate=6)
    # the binaural output follows the generator's envelope: the loudest
    # 10 ms frames coincide
    frames = lambda x: np.sqrt(np.mean(x[:RATE // 100 * 100].reshape(100, -1) ** 2, axis=1))  # noqa: E731
    wet = frames(audio[:RATE, 0])
    assert np.argmax(wet) in {np.argmax(frames(dry)), np.argmax(frames(dry)) + 1}


@pytest.mark.parametrize("K", [1, 3, 8])
def test_the_most_intervals_at_a_chunk_start_are_counted_as_by_hand(K):
    from spatial_asmr.renderer.plan import _most_per_chunk

    rng = np.random.default_rng(K)
    lo = rng.integers(-20, 60, 40)
    hi = lo + rng.integers(-3, 25, 40)  # some empty
    n_blocks = 70
    by_hand = max(sum(1 for a, b in zip(lo, hi, strict=True) if a <= k0 <= b)
                  for k0 in range(0, n_blocks, K))
    assert _most_per_chunk(lo, hi, K, n_blocks) == by_hand


def test_a_renders_sources_read_ahead_on_one_thread_which_ends_with_the_render(tmp_path):
    # three generators sounding at once make their next segments on one
    # thread they share; closing the render (an error, an interrupt) ends it
    import threading

    from spatial_asmr.renderer.plan import RenderPlan

    def reading_ahead():
        return [t for t in threading.enumerate() if t.name.startswith("spatial-asmr-ahead")]

    body = "duration: 30\nsources:\n"
    for i, kind in enumerate(["touch", "whisper", "tapping"]):
        body += (f"  - generator: {{type: {kind}, seed: {i}}}\n"
                 "    trajectory: {orbit: {distance: 0.5, period: 7, "
                 f"start_azimuth: {90 * i}}}}}\n")
    plan = RenderPlan(_scene(tmp_path, body), threads=2)
    render = plan.chunks()
    next(render)
    assert len(reading_ahead()) == 1
    render.close()
    assert reading_ahead() == []
    assert all(src.stream._buffer.nbytes == 0 for src in plan.sources)
