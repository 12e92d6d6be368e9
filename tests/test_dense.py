"""Dense HRTF sets: responses, onsets and near-field layers are made as they are read."""

import numpy as np
import pytest

from spatial_asmr import load_hrtf, load_scene, write_sofa
from spatial_asmr import render as _render_mastered
from spatial_asmr.hrtf import lazy
from spatial_asmr.hrtf.preprocess import minimum_phase, onset_delays

RATE = 48000
DIRECTIONS = 6000  # above lazy.DENSE


def _fibonacci(n, distance):
    k = np.arange(n) + 0.5
    elevation = np.degrees(np.arcsin(1 - 2 * k / n))
    azimuth = np.degrees(np.pi * (1 + 5 ** 0.5) * k) % 360
    return np.stack([azimuth, elevation, np.full(n, distance)], axis=1)


@pytest.fixture(scope="module")
def dense_path(tmp_path_factory):
    # every direction gets the KEMAR response nearest to it, cut to 128 taps
    kemar = load_hrtf("kemar", RATE)
    positions = _fibonacci(DIRECTIONS, 1.2)
    az, el = np.radians(positions[:, 0]), np.radians(positions[:, 1])
    vectors = np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=1)
    _, nearest = kemar.layers[0].tree.query(vectors)
    ir = kemar.raw[kemar.layers[0].index[nearest], :, :128].copy()
    ir[..., -16:] *= np.hanning(32)[16:]
    path = tmp_path_factory.mktemp("dense") / "dense.sofa"
    write_sofa(path, ir, positions, RATE)
    return path


def _scene(tmp_path, hrtf, name="scene.yaml"):
    path = tmp_path / name
    path.write_text(f"""
duration: 0.5
hrtf: {hrtf}
sources:
  - generator: {{type: whisper, seed: 3, duration: 0.5}}
    trajectory: {{orbit: {{distance: 0.4, period: 4}}}}
  - generator: {{type: tapping, seed: 4, duration: 0.5}}
    position: {{azimuth: -120, elevation: 30, distance: 1.2}}
""")
    return load_scene(path)


def test_a_dense_set_is_preprocessed_only_where_it_is_read(dense_path):
    hrtf = load_hrtf(str(dense_path), RATE)
    assert hrtf.dense
    assert hrtf.minphase.computed == 0
    rows = np.array([5, 17, 4000, 5999])
    np.testing.assert_array_equal(hrtf.minphase[rows], minimum_phase(hrtf.raw[rows]))
    np.testing.assert_array_equal(
        hrtf.onsets[rows], onset_delays(hrtf.raw[rows], minimum_phase(hrtf.raw[rows]))
        + hrtf.raw_delays[rows])
    assert hrtf.minphase.computed <= len(rows) * lazy.BLOCK


def test_a_render_on_a_dense_set_reads_a_few_directions_and_matches_the_eager_one(
        tmp_path, dense_path, monkeypatch):
    scene = _scene(tmp_path, dense_path)
    lazy_mix, _ = _render_mastered(scene, np.float64, master=False)
    hrtf = load_hrtf(str(dense_path), RATE)
    assert 0 < hrtf.minphase.computed < DIRECTIONS // 10
    # the same set preprocessed whole, as a smaller one would be
    monkeypatch.setattr(lazy, "DENSE", 10 ** 9)
    monkeypatch.setenv("SPATIAL_ASMR_CACHE", str(tmp_path / "eager-cache"))
    from spatial_asmr.hrtf import nearfield, sets

    sets._load_cached.cache_clear()
    nearfield.TABLES.clear()
    monkeypatch.setattr(sets, "DENSE", 10 ** 9)
    eager = load_hrtf(str(dense_path), RATE)
    assert not eager.dense
    eager_mix, _ = _render_mastered(_scene(tmp_path, dense_path, "again.yaml"), np.float64,
                                    master=False)
    # the onset-delay bound of a dense set adds at most a few samples of
    # window, not of signal; the mixes agree to rounding
    n = min(len(lazy_mix), len(eager_mix))
    peak = np.abs(eager_mix).max()
    np.testing.assert_allclose(lazy_mix[:n], eager_mix[:n], rtol=0, atol=1e-9 * peak)
    sets._load_cached.cache_clear()
    nearfield.TABLES.clear()


def test_a_dense_set_renders_the_same_bytes_whatever_was_read_before(tmp_path, dense_path):
    from spatial_asmr.hrtf import nearfield, sets

    scene = _scene(tmp_path, dense_path)
    first, _ = _render_mastered(scene, np.float32, master=False)
    hrtf = load_hrtf(str(dense_path), RATE)
    hrtf.minphase[np.arange(0, DIRECTIONS, 7)]  # other rows read meanwhile
    again, _ = _render_mastered(scene, np.float32, master=False)
    assert np.array_equal(first, again)
    sets._load_cached.cache_clear()
    nearfield.TABLES.clear()
    fresh, _ = _render_mastered(scene, np.float32, master=False)
    assert np.array_equal(first, fresh)


def test_info_says_a_set_is_dense(dense_path, capsys):
    from spatial_asmr.cli import main

    assert main(["info", str(dense_path)]) == 0
    out = capsys.readouterr().out
    assert f"measurements {DIRECTIONS} (dense: preprocessed where a scene reads it" in out
    assert main(["info", "kemar"]) == 0
    assert "dense" not in capsys.readouterr().out


def test_a_dense_layers_triangulation_is_cached_and_equals_a_fresh_hull(tmp_path, monkeypatch):
    from scipy.spatial import ConvexHull

    from spatial_asmr.hrtf import triangulation

    monkeypatch.setenv("SPATIAL_ASMR_CACHE", str(tmp_path))
    positions = _fibonacci(DIRECTIONS, 1.2)
    first = triangulation.DistanceLayer(np.arange(DIRECTIONS), positions)
    entries = list(tmp_path.glob("hull-*.npz"))
    assert len(entries) == 1
    again = triangulation.DistanceLayer(np.arange(DIRECTIONS), positions)  # read back
    hull = ConvexHull(first.vectors)  # independently: qhull on the same directions
    for layer in (first, again):
        np.testing.assert_array_equal(layer.simplices, hull.simplices)
        np.testing.assert_array_equal(layer.neighbors, hull.neighbors)
        np.testing.assert_allclose(
            np.einsum("tij,tjk->tik", layer.inverse,
                      layer.vectors[layer.simplices].transpose(0, 2, 1)),
            np.broadcast_to(np.eye(3), layer.inverse.shape), atol=1e-9)
    # a damaged entry counts as missing: computed again and stored over it
    entries[0].write_bytes(b"not a zip")
    third = triangulation.DistanceLayer(np.arange(DIRECTIONS), positions)
    np.testing.assert_array_equal(third.simplices, hull.simplices)
    assert entries[0].stat().st_size > 1000
    # a set of another shape is another entry; a small one is not cached
    triangulation.DistanceLayer(np.arange(DIRECTIONS - 1), positions[:-1])
    triangulation.DistanceLayer(np.arange(700), _fibonacci(700, 1.2))
    assert len(list(tmp_path.glob("hull-*.npz"))) == 2
