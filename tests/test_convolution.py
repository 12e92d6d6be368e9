"""Tests of spatial_asmr.dsp.convolution: time-varying uniformly partitioned convolution."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.signal import fftconvolve

from spatial_asmr.dsp.convolution import FixedConvolver, PartitionedConvolver, crossfade_ramp

BLOCK_SIZES = [32, 64, 128, 256, 512, 1024]


def fixed_filter(n_channels, n_blocks, rows):
    """index/weights that give channel c the filter-table row rows[c], both ears."""
    index = np.zeros((n_channels, n_blocks + 1, 2, 3), dtype=np.int64)
    weights = np.zeros((n_channels, n_blocks + 1, 2, 3))
    for c, row in enumerate(rows):
        index[c, ..., 0] = row
        weights[c, ..., 0] = 1.0
    return index, weights


def feed(process, block, signal, chunks):
    """Feed ``signal`` (C, n_blocks * B) to ``process(x, first, k)`` in chunks
    of ``k`` blocks, each with the block before it (zeros before the start)."""
    n_channels, n = signal.shape
    assert sum(chunks) * block == n
    padded = np.concatenate([np.zeros((n_channels, block), signal.dtype), signal], axis=1)
    out, first = [], 0
    for k in chunks:
        y = process(padded[:, first * block:(first + k + 1) * block], first, k)
        assert y.shape == (2, k * block)
        out.append(y)
        first += k
    return np.concatenate(out, axis=1)


def render(convolver, signal, index, weights, chunks):
    """Feed a PartitionedConvolver, with the filters at each chunk's K + 1
    block boundaries."""
    return feed(lambda x, first, k: convolver.process(x, index[:, first:first + k + 1],
                                                      weights[:, first:first + k + 1]),
                convolver.block_size, signal, chunks)


def reference(signal, filters_per_channel):
    """sum_c fftconvolve(signal[c], filters_per_channel[c][ear]), cut to the input length."""
    n = signal.shape[1]
    return np.stack([
        sum(fftconvolve(signal[c], filters[ear])[:n]
            for c, filters in enumerate(filters_per_channel))
        for ear in range(2)])


def relative_error(actual, expected):
    """max |error| / max |reference|."""
    return np.max(np.abs(actual - expected)) / np.max(np.abs(expected))


# -- time-invariant filters -------------------------------------------------------


@pytest.mark.parametrize("filter_length", ["17", "B", "3B+5"])
@pytest.mark.parametrize("block", BLOCK_SIZES)
def test_a_fixed_filter_gives_the_linear_convolution(rng, block, filter_length):
    n_taps = {"17": 17, "B": block, "3B+5": 3 * block + 5}[filter_length]
    filters = rng.standard_normal((1, 2, n_taps))
    signal = rng.standard_normal((1, 8 * block))
    index, weights = fixed_filter(1, 8, [0])
    convolver = PartitionedConvolver(filters, block, 1)

    y = render(convolver, signal, index, weights, chunks=[1, 3, 2, 2])

    assert y.dtype == np.float64
    assert relative_error(y, reference(signal, [filters[0]])) < 1e-9


@pytest.mark.parametrize("chunks", [[8], [1] * 8, [5, 1, 2]], ids=["8", "1x8", "5-1-2"])
def test_the_output_does_not_depend_on_how_the_input_is_chunked(rng, chunks):
    block = 64
    filters = rng.standard_normal((2, 2, 300))
    signal = rng.standard_normal((2, 8 * block))
    index, weights = fixed_filter(2, 8, [1, 0])

    y = render(PartitionedConvolver(filters, block, 2), signal, index, weights, chunks)

    expected = reference(signal, [filters[1], filters[0]])
    assert relative_error(y, expected) < 1e-9


def test_the_output_is_causal_with_no_latency(rng):
    block = 64
    filters = np.zeros((1, 2, 100))
    filters[0, :, 0] = 1.0  # identity
    signal = rng.standard_normal((1, 4 * block))
    index, weights = fixed_filter(1, 4, [0])

    y = render(PartitionedConvolver(filters, block, 1), signal, index, weights, [4])

    assert_allclose(y, np.vstack([signal, signal]), rtol=0, atol=1e-12)


def test_several_channels_are_summed_into_each_ear(rng):
    block, n_blocks = 128, 6
    filters = rng.standard_normal((3, 2, 200))
    signal = rng.standard_normal((3, n_blocks * block))
    index, weights = fixed_filter(3, n_blocks, [2, 0, 1])

    y = render(PartitionedConvolver(filters, block, 3), signal, index, weights, [2, 4])

    expected = reference(signal, [filters[2], filters[0], filters[1]])
    assert relative_error(y, expected) < 1e-9


def test_a_channel_with_zero_weights_for_one_ear_does_not_feed_that_ear(rng):
    block, n_blocks = 64, 6
    filters = rng.standard_normal((2, 2, 150))
    signal = rng.standard_normal((3, n_blocks * block))
    index, weights = fixed_filter(3, n_blocks, [0, 1, 0])
    weights[0, :, 1] = 0.0  # channel 0: left ear only
    weights[2] = 0.0  # channel 2: neither ear

    y = render(PartitionedConvolver(filters, block, 3), signal, index, weights, [3, 3])

    left = fftconvolve(signal[0], filters[0, 0])[:n_blocks * block] \
        + fftconvolve(signal[1], filters[1, 0])[:n_blocks * block]
    right = fftconvolve(signal[1], filters[1, 1])[:n_blocks * block]
    assert relative_error(y[0], left) < 1e-9
    assert relative_error(y[1], right) < 1e-9


def test_a_blend_of_two_filters_equals_the_convolution_with_the_blended_filter(rng):
    block, n_blocks = 64, 6
    filters = rng.standard_normal((4, 2, 180))
    signal = rng.standard_normal((1, n_blocks * block))
    index = np.zeros((1, n_blocks + 1, 2, 3), dtype=np.int64)
    weights = np.zeros((1, n_blocks + 1, 2, 3))
    index[..., :2] = [3, 1]
    weights[..., :2] = [0.3, 0.7]

    y = render(PartitionedConvolver(filters, block, 1), signal, index, weights, [2, 4])

    blended = 0.3 * filters[3] + 0.7 * filters[1]
    assert relative_error(y, reference(signal, [blended])) < 1e-9


# -- filter switches ---------------------------------------------------------------


def test_the_crossfade_ramp_is_a_raised_cosine_rising_to_exactly_1():
    block = 64
    n = np.arange(block)

    ramp = crossfade_ramp(block)

    assert ramp.shape == (block,)
    assert ramp[-1] == 1.0
    assert_allclose(ramp, (1 - np.cos(np.pi * (n + 1) / block)) / 2, rtol=0, atol=1e-15)
    assert np.all(np.diff(ramp) > 0)
    assert 0.0 < ramp[0] < 1e-3
    # symmetric about its middle: ramp[n] + ramp[B - 2 - n] = 1
    assert_allclose(ramp[:-1] + ramp[-2::-1], 1.0, rtol=0, atol=1e-15)


def test_the_crossfade_ramp_has_the_requested_dtype():
    assert crossfade_ramp(32, np.float32).dtype == np.float32


@pytest.mark.parametrize("switch_block", [0, 2, 3, 7])
def test_a_filter_switch_crossfades_within_one_block_between_the_two_outputs(
        rng, switch_block):
    # The filter is row 0 at boundaries 0..s and row 1 at s+1..: block s fades.
    block, n_blocks = 64, 8
    filters = rng.standard_normal((2, 2, 150))
    signal = rng.standard_normal((1, n_blocks * block))
    index, weights = fixed_filter(1, n_blocks, [0])
    index[0, switch_block + 1:] = 1

    y = render(PartitionedConvolver(filters, block, 1), signal, index, weights, [3, 5])

    y_old = reference(signal, [filters[0]])
    y_new = reference(signal, [filters[1]])
    fade = slice(switch_block * block, (switch_block + 1) * block)
    ramp = (1 - np.cos(np.pi * (np.arange(block) + 1) / block)) / 2
    expected = y_old.copy()
    expected[:, fade] = (1 - ramp) * y_old[:, fade] + ramp * y_new[:, fade]
    expected[:, fade.stop:] = y_new[:, fade.stop:]
    assert relative_error(y, expected) < 1e-9


def test_a_switch_on_one_channel_leaves_the_other_channels_unfaded(rng):
    block, n_blocks = 64, 6
    filters = rng.standard_normal((3, 2, 100))
    signal = rng.standard_normal((2, n_blocks * block))
    index, weights = fixed_filter(2, n_blocks, [0, 2])
    index[0, 3:] = 1  # channel 0 switches in block 2

    y = render(PartitionedConvolver(filters, block, 2), signal, index, weights, [6])

    n = n_blocks * block
    ramp = (1 - np.cos(np.pi * (np.arange(block) + 1) / block)) / 2
    fade = np.ones(n)
    fade[:2 * block] = 0.0
    fade[2 * block:3 * block] = ramp
    static = reference(signal[1:], [filters[2]])
    switching = (1 - fade) * reference(signal[:1], [filters[0]]) \
        + fade * reference(signal[:1], [filters[1]])
    assert relative_error(y, static + switching) < 1e-9


def test_a_gain_change_is_crossfaded_like_a_filter_switch(rng):
    block, n_blocks = 32, 4
    filters = rng.standard_normal((1, 2, 40))
    signal = rng.standard_normal((1, n_blocks * block))
    index, weights = fixed_filter(1, n_blocks, [0])
    weights[0, 2:, :, 0] = 0.25  # gain 1 -> 0.25 across block 1

    y = render(PartitionedConvolver(filters, block, 1), signal, index, weights, [4])

    gain = np.ones(n_blocks * block)
    ramp = (1 - np.cos(np.pi * (np.arange(block) + 1) / block)) / 2
    gain[block:2 * block] = 1 - 0.75 * ramp
    gain[2 * block:] = 0.25
    assert relative_error(y, gain * reference(signal, [filters[0]])) < 1e-9


# -- precision ----------------------------------------------------------------------


def test_float32_mode_agrees_with_float64_within_1e_minus_5(rng):
    block, n_blocks = 128, 8
    filters = rng.standard_normal((2, 2, 400))
    signal = rng.standard_normal((2, n_blocks * block))
    index, weights = fixed_filter(2, n_blocks, [0, 1])
    index[0, 5:] = 1

    y64 = render(PartitionedConvolver(filters, block, 2), signal, index, weights, [3, 5])
    y32 = render(PartitionedConvolver(filters, block, 2, dtype=np.float32),
                 signal.astype(np.float32), index, weights.astype(np.float32), [3, 5])

    assert y32.dtype == np.float32
    assert relative_error(y32, y64) < 1e-5


def test_silence_in_gives_exact_silence_out():
    filters = np.ones((1, 2, 70))
    index, weights = fixed_filter(1, 4, [0])

    y = render(PartitionedConvolver(filters, 32, 1), np.zeros((1, 128)), index, weights, [4])

    assert_array_equal(y, 0.0)


# -- time-invariant engine ------------------------------------------------------------


def render_fixed(convolver, signal, chunks):
    """Feed a FixedConvolver in chunks of K blocks."""
    return feed(lambda x, first, k: convolver.process(x), convolver.block_size, signal, chunks)


@pytest.mark.parametrize(("n_taps", "n_fft"), [(1, 64), (17, 64), (300, 1024), (557, 8192)])
def test_fixed_convolver_sums_the_linear_convolutions_of_its_channels(rng, n_taps, n_fft):
    filters = rng.standard_normal((3, 2, n_taps))
    convolver = FixedConvolver(filters, n_fft)
    signal = rng.standard_normal((3, 7 * convolver.block_size))

    y = render_fixed(convolver, signal, [1, 4, 2])

    assert convolver.block_size == n_fft - n_taps + 1
    assert y.dtype == np.float64
    assert relative_error(y, reference(signal, list(filters))) < 1e-9


def test_a_fixed_convolver_with_a_shorter_block_is_exact_and_silent_channels_cost_nothing(rng):
    # a round block (a renderer chunk) in a fast FFT length above it
    filters = rng.standard_normal((3, 2, 557))
    convolver = FixedConvolver(filters, 16384 + 560, block_size=16384)
    signal = rng.standard_normal((3, 3 * 16384))
    signal[1, 16384:] = 0.0  # channel 1 falls silent after the first block

    y = render_fixed(convolver, signal, [1, 1, 1])

    assert convolver.block_size == 16384
    assert relative_error(y, reference(signal, list(filters))) < 1e-9
    # the last block with channel 1 left out: it holds only zeros there
    x = signal[:, 16384:]
    np.testing.assert_allclose(convolver.process(x, active=np.array([True, False, True])),
                               convolver.process(x), rtol=0, atol=1e-9)
    with pytest.raises(ValueError, match="block_size is 100 but must be from 557"):
        FixedConvolver(filters, 16384 + 560, block_size=100)


def test_fixed_convolver_in_float32_agrees_with_float64_within_1e_minus_5(rng):
    filters = rng.standard_normal((2, 2, 200))
    signal = rng.standard_normal((2, 5 * 825))
    y64 = render_fixed(FixedConvolver(filters, 1024), signal, [2, 3])
    y32 = render_fixed(FixedConvolver(filters, 1024, np.float32), signal.astype(np.float32),
                       [5])

    assert y32.dtype == np.float32
    assert relative_error(y32, y64) < 1e-5


def test_a_fixed_convolvers_channel_let_go_of_is_made_anew_when_active_again(rng):
    filters = rng.standard_normal((3, 2, 40))
    x = rng.standard_normal((3, 5 * 64))
    reference = FixedConvolver(filters, 128).process(x)
    engine = FixedConvolver(filters, 128)
    first = engine.process(x, active=np.array([True, False, True]))
    assert sorted(engine._spectra) == [0, 2]  # made only for the channels in use
    engine.release([0, 2])
    assert engine._spectra == {}
    assert_array_equal(engine.process(x), reference)
    assert np.abs(first).max() > 0


def test_fixed_convolver_needs_blocks_at_least_as_long_as_the_filter():
    with pytest.raises(ValueError, match="n_fft is 100 but must be at least 119"):
        FixedConvolver(np.ones((1, 2, 60)), 100)


@pytest.mark.parametrize("chunks", [[40], [5] * 8, [1, 2, 1, 3, 2, 1, 4, 6, 2, 1, 1, 7, 9],
                                    [1, 2, 1, 3, 2, 1, 4, 6, 2, 4, 14]])
def test_the_chunks_channels_alone_give_the_same_output_as_all_of_them(rng, chunks):
    # four channels sounding in turn, each applying its filter from its first
    # sound to the end of its tail (P = 4 partitions: chunks shorter than
    # P - 1 blocks carry the history of channels that are not in them)
    block, n_blocks = 32, 40
    filters = rng.standard_normal((4, 2, 3 * block + 5))
    signal = np.zeros((4, n_blocks * block))
    index, weights = fixed_filter(4, n_blocks, [0, 1, 2, 3])
    for c in range(4):
        lo, hi = 8 * c + 1, 8 * c + 6
        signal[c, lo * block:hi * block] = rng.standard_normal((hi - lo) * block)
        weights[c, :lo] = 0
        weights[c, hi + 5:] = 0
    # the first sounds again after a gap; the third applies no filter for two
    # blocks right after its sound (what it holds then is not silent) and then
    # applies it again
    signal[0, 33 * block:35 * block] = rng.standard_normal(2 * block)
    weights[0, 33:, :, 0] = 1.0
    weights[2, 22:25] = 0
    weights[3, 23:25, :, 0] = 1.0  # before its sound: no chunk is silent throughout
    full = PartitionedConvolver(filters, block, 4)
    part = PartitionedConvolver(filters, block, 4)

    def both(x, first, k):
        w = weights[:, first:first + k + 1]
        i = index[:, first:first + k + 1]
        rows = np.flatnonzero(w.any(axis=(1, 2, 3)))
        active = np.abs(x).max(axis=1) > 0
        y = full.process(x, i, w, active=active)
        # given only the rows of the channels applying a filter and the active ones
        mine = np.union1d(rows, np.flatnonzero(active))
        z = part.process(x[mine], i[mine], w[mine], active=active[mine], channels=mine)
        assert_array_equal(z, y)
        return z

    y = feed(both, block, signal, chunks)

    assert np.abs(y).max() > 0
