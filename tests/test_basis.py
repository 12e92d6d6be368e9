"""The basis engine (render.engine: basis): its basis, its convolution, and scenes rendered
with it, against direct computations and the exact engine."""

import numpy as np
import pytest
import soundfile as sf
from scipy import signal

from scenes import raw_mix, write_scene
from spatial_asmr import SceneError
from spatial_asmr.dsp.basis_convolution import BasisConvolver
from spatial_asmr.hrtf.basis import fit_basis
from spatial_asmr.renderer.engines import BASIS_FROM
from spatial_asmr.renderer.plan import RenderPlan
from spatial_asmr.testing import log_spectral_distortion, motion_artefact_level

RATE = 48000


def _table(rng, rows=300, taps=96, rank=5):
    # rows that are a mean plus combinations of `rank` fixed shapes, per ear
    shapes = rng.standard_normal((2, rank + 1, taps))
    c = rng.standard_normal((rows, 2, rank))
    return (shapes[None, :, 0] + np.einsum("rek,ekt->ret", c, shapes[:, 1:])).astype(np.float32)


def test_a_basis_as_large_as_the_table_rank_reconstructs_every_row(rng):
    table = _table(rng)
    basis = fit_basis(table, 6)  # the mean and 5 components
    rows = np.arange(len(table))
    np.testing.assert_allclose(basis.reconstruct(rows), table, rtol=0, atol=2e-5)
    assert basis.residual.max() < 1e-9


def test_the_components_are_orthonormal_and_the_coefficients_projections(rng):
    table = rng.standard_normal((200, 2, 64)).astype(np.float32)
    basis = fit_basis(table, 10)
    phi = basis.filters.astype(np.float64)
    for e in range(2):
        np.testing.assert_allclose(phi[e, 1:] @ phi[e, 1:].T, np.eye(9), atol=1e-6)
        np.testing.assert_allclose(phi[e, 0], table[:, e].mean(axis=0), atol=1e-6)
        # least squares of the centred rows on the components (an independent solve)
        centred = table[:, e] - table[:, e].mean(axis=0)
        expected, *_ = np.linalg.lstsq(phi[e, 1:].T, centred.T, rcond=None)
        np.testing.assert_allclose(basis.coefficients()[:, e, 1:], expected.T, atol=1e-4)
    np.testing.assert_array_equal(basis.coefficients()[:, :, 0], 1.0)


@pytest.mark.parametrize("size", [4, 8, 16, 32])
def test_the_residual_is_the_energy_beyond_the_leading_singular_values(rng, size):
    table = rng.standard_normal((400, 2, 32)).astype(np.float32)
    basis = fit_basis(table, size)
    for e in range(2):
        centred = table[:, e].astype(np.float64) - table[:, e].mean(axis=0)
        s2 = np.linalg.svd(centred, compute_uv=False) ** 2
        assert basis.residual[e] == pytest.approx(s2[size - 1:].sum() / s2.sum(), rel=1e-9)


def test_auto_takes_the_fewest_multiple_of_eight_within_the_residual_budget(rng):
    assert fit_basis(_table(rng), "auto").size == 8  # rank 5 about the mean: nothing left out
    noise = rng.standard_normal((300, 2, 40)).astype(np.float32)
    assert fit_basis(noise, "auto").size == 40  # white: only every filter meets the budget


@pytest.mark.parametrize("near_field", [False, True])
def test_auto_gives_the_bundled_kemar_40_filters_with_or_without_near_field_layers(
        near_field):
    from spatial_asmr import load_hrtf
    from spatial_asmr.hrtf.spatializer import Spatializer

    hrtf = load_hrtf("kemar", RATE)
    table = Spatializer(hrtf, "barycentric", near_field=near_field, closest=0.1).table
    assert fit_basis(table, "auto").size == 40
    measured = np.arange(len(hrtf.positions))
    exact = np.asarray(table[measured], dtype=np.float64)
    spread = ((exact - exact.mean(axis=0)) ** 2).sum()
    for size, within in ((40, True), (32, False)):
        missed = ((fit_basis(table, size).reconstruct(measured) - exact) ** 2).sum() / spread
        assert (missed <= 0.007) == within


@pytest.mark.parametrize("size", [1, 257])
def test_a_basis_size_outside_its_range_is_refused(rng, size):
    with pytest.raises(ValueError, match="size is"):
        fit_basis(_table(rng, taps=300), size)


def _direct(basis, x, a, block):
    """sum_k phi_k * (a_k(t) x(t)) by the formula: coefficients along a raised cosine
    from one block boundary to the next."""
    n = len(x)
    t = np.arange(n)
    j, frac = t // block, 0.5 - 0.5 * np.cos(np.pi * ((t % block) + 1) / block)
    coef = a[j] + (a[j + 1] - a[j]) * frac[:, None]       # (n, K) at each sample
    out = np.zeros(n)
    for k in range(basis.size):
        out += np.convolve(coef[:, k] * x, basis.filters[0, k].astype(np.float64))[:n]
    return out


def test_a_moving_channel_is_its_coefficients_times_the_input_through_the_basis(rng):
    table = _table(rng, rows=50, taps=80)
    basis = fit_basis(table, 6)
    B, K = 64, 16
    chunks = 5
    x = rng.standard_normal(B * K * chunks)
    engine = BasisConvolver(basis, B, 1, np.float64, frame_fft=512)
    n_b = len(x) // B
    # the filter walks from row 3 to row 40 (weights 1 - f, f) and back
    f = 0.5 - 0.5 * np.cos(np.linspace(0, 2 * np.pi, n_b + 1))
    index = np.zeros((1, n_b + 1, 2, 6), dtype=np.int64)
    weights = np.zeros((1, n_b + 1, 2, 6))
    index[0, :, 0, 0], index[0, :, 0, 1] = 3, 40
    weights[0, :, 0, 0], weights[0, :, 0, 1] = 1 - f, f
    out = []
    for c in range(chunks):
        lo = c * K
        block_x = np.concatenate([np.zeros(B) if c == 0 else x[(lo - 1) * B:lo * B],
                                  x[lo * B:(lo + K) * B]])[None]
        out.append(engine.process(block_x, index[:, lo:lo + K + 1], weights[:, lo:lo + K + 1]))
    y = np.concatenate(out, axis=1)
    coef = basis.coefficients(np.array([3, 40]))[:, 0]      # (2, K)
    a = (1 - f)[:, None] * coef[0] + f[:, None] * coef[1]    # (n_b + 1, K)
    expected = _direct(basis, x, a, B)
    np.testing.assert_allclose(y[0], expected, rtol=0, atol=2e-5 * np.abs(expected).max())
    np.testing.assert_array_equal(y[1], 0.0)  # nothing feeds the right ear


def test_a_still_channel_is_the_input_through_the_reconstructed_response(rng):
    table = _table(rng, rows=40, taps=100)
    basis = fit_basis(table, 6)
    B, K = 128, 8
    x = rng.standard_normal(B * K * 3)
    engine = BasisConvolver(basis, B, 1, np.float64, frame_fft=1024)
    index = np.full((1, K + 1, 2, 6), 7, dtype=np.int64)
    weights = np.zeros((1, K + 1, 2, 6))
    weights[0, :, :, 0] = 0.8
    y = np.concatenate([engine.process(np.concatenate([np.zeros(B) if c == 0 else
                                                       x[c * K * B - B:c * K * B],
                                                       x[c * K * B:(c + 1) * K * B]])[None],
                                       index, weights) for c in range(3)], axis=1)
    h = 0.8 * table[7].astype(np.float64)  # rank-5 table: the basis holds it exactly
    for e in range(2):
        expected = signal.oaconvolve(x, h[e])[:len(x)]
        np.testing.assert_allclose(y[e], expected, rtol=0, atol=1e-5 * np.abs(expected).max())


def _noise_files(folder, n, seconds, rng):
    for k in range(n):
        sf.write(folder / f"noise{k}.wav", 0.1 * rng.standard_normal(int(seconds * RATE)),
                 RATE, subtype="FLOAT")


def _orbits(n, engine, seconds=2.0, extra=""):
    lines = [f"duration: {seconds}", f"render: {{engine: {engine}{extra}}}", "sources:"]
    for k in range(n):
        lines.append(f"  - {{file: noise{k}.wav, trajectory: {{orbit: {{distance: "
                     f"{0.3 + 0.1 * (k % 10):.2f}, period: {1.5 + k % 4}, "
                     f"start_azimuth: {40 * k % 360}, elevation: {10 * (k % 7) - 10}}}}}}}")
    return "\n".join(lines) + "\n"


def test_moving_sources_render_close_to_the_exact_engine(tmp_path, rng):
    _noise_files(tmp_path, 3, 2.0, rng)
    exact = raw_mix(write_scene(tmp_path, _orbits(3, "exact"), "exact.yaml"), np.float64)[0]
    basis = raw_mix(write_scene(tmp_path, _orbits(3, "basis"), "basis.yaml"), np.float64)[0]
    difference = 10 * np.log10(((basis - exact) ** 2).sum() / (exact ** 2).sum())
    # 40 filters per ear (auto, KEMAR): about -30 dB (32: -28 dB; the
    # issue's prototype measured -27 dB at 32 and -30 dB at 48)
    assert -40 < difference < -20
    small = raw_mix(write_scene(tmp_path, _orbits(3, "basis", extra=", basis_size: 8"),
                                "small.yaml"), np.float64)[0]
    assert ((small - exact) ** 2).sum() > ((basis - exact) ** 2).sum()


def test_a_circling_sine_through_the_basis_engine_has_no_motion_artefacts(tmp_path):
    t = np.arange(3 * RATE) / RATE
    sf.write(tmp_path / "sine.wav", 0.5 * np.sin(2 * np.pi * 1000 * t), RATE, subtype="DOUBLE")
    scene = write_scene(tmp_path, """
duration: 3
render: {engine: basis}
sources:
  - {file: sine.wav, trajectory: {orbit: {distance: 1.0, period: 1}}}
""")
    audio = raw_mix(scene, np.float64)[0]
    assert motion_artefact_level(audio, RATE) < -95


def test_the_basis_engine_gives_the_same_bytes_on_one_thread_and_on_two(tmp_path, rng):
    _noise_files(tmp_path, 2, 1.0, rng)
    scene = write_scene(tmp_path, _orbits(2, "basis", seconds=1.0))
    one = np.concatenate(list(RenderPlan(scene, threads=1).chunks()))
    two = np.concatenate(list(RenderPlan(scene, threads=2).chunks()))
    np.testing.assert_array_equal(one, two)


def test_auto_takes_the_basis_engine_from_its_source_count(tmp_path, rng):
    _noise_files(tmp_path, BASIS_FROM, 0.1, rng)
    few = write_scene(tmp_path, _orbits(BASIS_FROM - 1, "auto", 0.1), "few.yaml")
    many = write_scene(tmp_path, _orbits(BASIS_FROM, "auto", 0.1), "many.yaml")
    assert RenderPlan(few).engine == "exact"
    assert RenderPlan(many).engine == "basis"
    assert RenderPlan(write_scene(tmp_path, _orbits(1, "basis", 0.1), "one.yaml")).engine == \
        "basis"


def test_auto_counts_the_moving_sources_that_sound_at_once(tmp_path, rng):
    # BASIS_FROM moving sources one after another (0.1 s each, 0.05 s apart)
    # are a one-source scene for the engines
    _noise_files(tmp_path, BASIS_FROM, 0.1, rng)
    lines = [f"duration: {0.15 * BASIS_FROM:.2f}", "sources:"]
    lines += [f"  - {{file: noise{k}.wav, start: {0.15 * k:.2f}, "
              f"trajectory: {{orbit: {{distance: 0.5, period: 1}}}}}}" for k in range(BASIS_FROM)]
    scene = write_scene(tmp_path, "\n".join(lines) + "\n", "apart.yaml")
    plan = RenderPlan(scene)
    assert (plan.moving_at_once, plan.engine) == (1, "exact")
    from spatial_asmr.renderer.estimate import estimate_render

    estimate = estimate_render(scene)
    assert (estimate.moving, estimate.moving_at_once) == (BASIS_FROM, 1)


def test_most_at_once_counts_overlaps_and_not_spans_that_only_meet():
    from spatial_asmr.renderer.engines import most_at_once

    assert most_at_once([]) == 0
    assert most_at_once([(0, 10), (10, 20), (20, 30)]) == 1  # each ends as the next starts
    assert most_at_once([(0, 10), (5, 15), (9, 12), (14, 20)]) == 3
    assert most_at_once([(0, 0), (3, 2), (1, 2)]) == 1  # empty spans count for none
    assert most_at_once([(0, np.inf)] * 4 + [(1, 2)]) == 5


@pytest.mark.parametrize("render, message", [
    ("{engine: fast}", "render.engine is 'fast' but must be one of 'auto', 'exact', 'basis'"),
    ("{basis_size: 1}", "render.basis_size is 1 but must be >= 2"),
    ("{basis_size: 300}", "render.basis_size is 300 but must be <= 256"),
    ("{basis_size: many}", "render.basis_size is 'many' but must be 'auto' or an integer "
                           "from 2 to 256"),
])
def test_bad_engine_settings_name_the_field_and_what_is_allowed(tmp_path, rng, render,
                                                                  message):
    _noise_files(tmp_path, 1, 0.1, rng)
    with pytest.raises(SceneError, match=message.replace("(", r"\(").replace(")", r"\)")):
        write_scene(tmp_path, f"render: {render}\nsources:\n  - {{file: noise0.wav, "
                              "position: {azimuth: 0, elevation: 0, distance: 1}}\n")


def test_left_out_kemar_directions_render_within_the_lsd_budget():
    # every 24th KEMAR direction left out in turn and rendered through the
    # basis engine from its neighbours (the basis fitted without it):
    # leave-one-out log-spectral distortion <= 1.50 dB at the default size
    from spatial_asmr import load_hrtf
    from spatial_asmr.testing import leave_one_out_responses

    hrtf = load_hrtf("kemar", RATE)
    held = np.arange(0, len(hrtf.positions), 24)
    rendered, measured = leave_one_out_responses(hrtf, held, "barycentric", engine="basis")
    lsd = log_spectral_distortion(rendered, measured, RATE).mean()
    assert lsd <= 1.50


def test_the_mixing_ramps_each_coefficient_from_one_boundary_to_the_next():
    from spatial_asmr.dsp.basis_convolution import _mix_blocks
    from spatial_asmr.dsp.convolution import crossfade_ramp

    rng = np.random.default_rng(4)
    channels, size, block, blocks = 5, 6, 16, 7
    x = rng.standard_normal((channels, block * blocks)).astype(np.float32)
    a = rng.standard_normal((blocks + 1, channels, size)).astype(np.float32)
    ramp = crossfade_ramp(block, np.float32)
    u = np.empty((size, block * blocks), dtype=np.float32)
    _mix_blocks(x, a, ramp, u)
    # sample by sample, in float64: the coefficient at sample n of block j
    expected = np.zeros((size, block * blocks))
    for t in range(block * blocks):
        j, n = divmod(t, block)
        c = a[j].astype(np.float64) + (a[j + 1] - a[j].astype(np.float64)) * float(ramp[n])
        expected[:, t] = c.T @ x[:, t]
    np.testing.assert_allclose(u, expected, rtol=0, atol=1e-5 * np.abs(expected).max())
    # the ramp reaches the next boundary's coefficients at the block's last sample
    assert ramp[-1] == 1.0
