"""The disk cache: its folder, its keys, damaged entries, read-only folders."""

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import spatial_asmr
from spatial_asmr import cache, load_hrtf, load_scene
from spatial_asmr import render as _render_mastered
from spatial_asmr.hrtf import nearfield, sets
from spatial_asmr.hrtf.sofa import write_sofa
from spatial_asmr.hrtf.sphere import sphere_hrirs

RATE = 48000


def _files(folder):
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def fresh_memory():
    """No HRTF set or near-field table kept in memory: each load goes to the disk cache."""
    _forget()
    yield
    _forget()


def _forget():
    sets._load_cached.cache_clear()
    nearfield.TABLES.clear()


@pytest.fixture(scope="module")
def sphere_set():
    """A small HRTF set (rigid sphere at 1 m, 30-degree grid): near-field layers below 1 m."""
    return sphere_hrirs(RATE, distances=(1.0,), step=30.0, n_taps=128)


@pytest.fixture
def scene(tmp_path, sphere_set):
    """A source at 0.3 m (so near-field layers are synthesised) with the small set."""
    ir, positions = sphere_set
    write_sofa(tmp_path / "small.sofa", ir, positions, RATE)
    rng = np.random.default_rng(7)
    sf.write(tmp_path / "noise.wav", 0.05 * rng.standard_normal(RATE // 2), RATE)
    path = tmp_path / "scene.yaml"
    path.write_text(textwrap.dedent(f"""\
        hrtf: {tmp_path / 'small.sofa'}
        duration: 0.25
        render: {{distance_gain: false}}
        sources:
          - file: {tmp_path / 'noise.wav'}
            position: {{azimuth: 70, elevation: 0, distance: 0.3}}
        """))
    return path


def render(scene_path):
    """The raw mix in double precision, with nothing kept in memory from before."""
    _forget()
    audio, _ = _render_mastered(load_scene(scene_path), np.float64, master=False)
    return audio


@pytest.fixture
def use_cache(tmp_path, monkeypatch, fresh_memory):
    """Point the cache at a folder of this test."""
    def use(name):
        folder = tmp_path / name
        monkeypatch.setenv("SPATIAL_ASMR_CACHE", str(folder))
        return folder
    return use


# -- the folder ----------------------------------------------------------------------


def test_the_folder_is_spatial_asmr_cache_when_it_is_set(monkeypatch, tmp_path):
    monkeypatch.setenv("SPATIAL_ASMR_CACHE", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))

    assert cache.cache_dir() == tmp_path / "mine"


@pytest.mark.parametrize(("platform", "environment", "expected"), [
    ("linux", {"XDG_CACHE_HOME": "/xdg"}, "/xdg/spatial-asmr"),
    ("linux", {}, "HOME/.cache/spatial-asmr"),
    ("linux", {"XDG_CACHE_HOME": "relative/path"}, "HOME/.cache/spatial-asmr"),
    ("linux", {"XDG_CACHE_HOME": "/xdg", "SPATIAL_ASMR_CACHE": ""}, "/xdg/spatial-asmr"),
    ("darwin", {"XDG_CACHE_HOME": "/xdg"}, "HOME/Library/Caches/spatial-asmr"),
    ("win32", {"LOCALAPPDATA": "/local"}, "/local/spatial-asmr/Cache"),
    ("win32", {}, "HOME/AppData/Local/spatial-asmr/Cache"),
])
def test_without_spatial_asmr_cache_the_folder_is_the_platforms_user_cache(
        monkeypatch, tmp_path, platform, environment, expected):
    for name in ("SPATIAL_ASMR_CACHE", "XDG_CACHE_HOME", "LOCALAPPDATA"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(sys, "platform", platform)

    assert str(cache.cache_dir()) == expected.replace("HOME", str(tmp_path))


# -- the keys ------------------------------------------------------------------------


def test_a_new_package_version_gives_a_new_key(monkeypatch):
    before = cache.key("hrtf", "0" * 64, sample_rate=48000.0)
    monkeypatch.setattr(spatial_asmr, "__version__", spatial_asmr.__version__ + ".post1")

    assert cache.key("hrtf", "0" * 64, sample_rate=48000.0) != before


@pytest.mark.parametrize("change", [{"kind": "nearfield"}, {"content": "1" * 64},
                                    {"sample_rate": 44100.0}, {"sample_rate": 48000.000001}])
def test_every_part_of_what_an_entry_is_made_from_is_in_its_key(change):
    parts = {"kind": "hrtf", "content": "0" * 64, "sample_rate": 48000.0}

    assert cache.key(**(parts | change)) != cache.key(**parts)
    assert cache.key(**parts) == cache.key(**dict(parts))


def test_a_changed_input_file_gives_a_new_entry_and_its_own_data(use_cache, tmp_path,
                                                                 sphere_set):
    folder = use_cache("cache")
    ir, positions = sphere_set
    path = tmp_path / "set.sofa"
    write_sofa(path, ir, positions, RATE)
    stat = path.stat()
    first = load_hrtf(path, RATE)

    write_sofa(path, 0.5 * ir, positions, RATE)  # same path, same size, same times
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    _forget()
    second = load_hrtf(path, RATE)

    assert second.cache_key != first.cache_key
    np.testing.assert_array_equal(second.raw, 0.5 * first.raw)
    assert len(list(folder.glob("hrtf-*.npz"))) == 2


def test_the_same_content_at_another_path_shares_the_entry(use_cache, tmp_path, sphere_set):
    folder = use_cache("cache")
    ir, positions = sphere_set
    write_sofa(tmp_path / "a.sofa", ir, positions, RATE)
    (tmp_path / "b.sofa").write_bytes((tmp_path / "a.sofa").read_bytes())

    first = load_hrtf(tmp_path / "a.sofa", RATE)
    second = load_hrtf(tmp_path / "b.sofa", RATE)

    assert first.cache_key == second.cache_key
    assert len(list(folder.glob("hrtf-*.npz"))) == 1


def test_a_loaded_set_is_read_back_from_the_disk_cache(use_cache, tmp_path, sphere_set,
                                                       monkeypatch):
    use_cache("cache")
    ir, positions = sphere_set
    write_sofa(tmp_path / "set.sofa", ir, positions, RATE)
    first = load_hrtf(tmp_path / "set.sofa", RATE)
    _forget()
    monkeypatch.setattr(sets, "read_sofa", _must_not_run)

    second = load_hrtf(tmp_path / "set.sofa", RATE)  # the fast path really ran

    for name in ("raw", "raw_delays", "positions", "minphase", "onsets"):
        np.testing.assert_array_equal(getattr(second, name), getattr(first, name))


def _must_not_run(*args, **kwargs):
    raise AssertionError("computed although the cache holds it")


# -- damaged entries -----------------------------------------------------------------


def _truncate(path):
    path.write_bytes(path.read_bytes()[:path.stat().st_size // 2])


def _garble(path):
    path.write_bytes(np.random.default_rng(3).bytes(path.stat().st_size))


def _empty(path):
    path.write_bytes(b"")


def _other_array(path):
    with open(path, "wb") as fh:
        if path.suffix == ".npz":
            np.savez(fh, raw=np.zeros(3))
        else:
            np.save(fh, np.zeros((1, 2, 2, 4), dtype=np.float32))


@pytest.mark.parametrize("kind", ["hrtf", "nearfield"])
@pytest.mark.parametrize("damage", [_truncate, _garble, _empty, _other_array],
                         ids=["truncated", "garbled", "empty", "another array"])
def test_a_damaged_entry_is_computed_again_and_overwritten(use_cache, scene, monkeypatch,
                                                           kind, damage):
    folder = use_cache("cache")
    expected = render(scene)
    (entry,) = folder.glob(f"{kind}-*")
    damage(entry)

    assert np.array_equal(render(scene), expected)
    # the entry is whole again: a render without computing reads the same
    monkeypatch.setattr(sets, "read_sofa", _must_not_run)
    monkeypatch.setattr(nearfield, "_synthesise", _must_not_run)
    assert np.array_equal(render(scene), expected)
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


# -- a cache that cannot be written --------------------------------------------------


@pytest.fixture
def read_only(monkeypatch):
    """Make folders read only; for root (whom permissions do not stop) temporary
    files in them fail as they would for anyone else."""
    folders = []

    def make(folder):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o555)
        folders.append(folder.resolve())
        return folder

    original = tempfile.mkstemp

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and Path(dir).resolve() in folders:
            raise PermissionError(13, "Permission denied", str(dir))
        return original(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    yield make
    for folder in folders:
        folder.chmod(0o755)


def test_a_read_only_cache_folder_renders_the_same_uncached(use_cache, scene, read_only):
    use_cache("writable")
    expected = render(scene)
    folder = read_only(use_cache("read-only"))

    assert np.array_equal(render(scene), expected)
    assert _files(folder) == []


def test_a_read_only_cache_folder_is_still_read(use_cache, scene, read_only, monkeypatch):
    writable = use_cache("writable")
    expected = render(scene)
    folder = use_cache("read-only")
    folder.mkdir()
    for entry in writable.iterdir():
        (folder / entry.name).write_bytes(entry.read_bytes())
    read_only(folder)
    monkeypatch.setattr(sets, "read_sofa", _must_not_run)
    monkeypatch.setattr(nearfield, "_synthesise", _must_not_run)

    assert np.array_equal(render(scene), expected)
    assert _files(folder) == _files(writable)


def test_a_cache_folder_that_cannot_be_made_renders_the_same_uncached(use_cache, scene,
                                                                       tmp_path):
    use_cache("writable")
    expected = render(scene)
    (tmp_path / "a-file").write_text("")
    use_cache("a-file/cache")

    assert np.array_equal(render(scene), expected)


# -- a real process ------------------------------------------------------------------


def test_without_spatial_asmr_cache_a_render_writes_only_under_homes_cache(
        tmp_path, scene, cache_folder):
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("SPATIAL_ASMR_CACHE", "XDG_CACHE_HOME")}
    env["HOME"] = str(home)
    session_cache = _files(cache_folder)
    around = _files(scene.parent)

    done = subprocess.run([sys.executable, "-c", "import sys\n"
                           "from spatial_asmr import load_scene, render_to_file\n"
                           "render_to_file(load_scene(sys.argv[1]), sys.argv[2])",
                           str(scene), str(work / "out.wav")],
                          env=env, cwd=work, capture_output=True, text=True, timeout=600)

    assert done.returncode == 0, done.stderr

    written = _files(home)
    assert written, "nothing was cached"
    assert all(p.parts[:2] == (".cache", "spatial-asmr") for p in written), written
    names = [p.name for p in written]
    assert any(n.startswith("hrtf-") and n.endswith(".npz") for n in names), names
    assert any(n.startswith("nearfield-") and n.endswith(".npy") for n in names), names
    assert _files(work) == [Path("out.wav")]
    assert _files(cache_folder) == session_cache
    assert [p for p in _files(scene.parent) if p.parts[0] not in ("home", "work")] == around
