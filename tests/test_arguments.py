"""Every public function refuses bad arguments with a package error that says why.

One table: each row calls a public function with one bad argument and names
the error class expected and a piece of its message ("<name> is <value> but
must be <allowed>").  Warnings are errors here (pyproject.toml), so a row
also fails if a RuntimeWarning comes first.
"""

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from spatial_asmr import (
    ArgumentError,
    HrtfError,
    HrtfSet,
    OutputError,
    SceneError,
    SpatialAsmrError,
    load_hrtf,
    load_scene,
    read_sofa,
    render,
    render_to_file,
    write_sofa,
)
from spatial_asmr import generators as gen
from spatial_asmr.batch.runner import collect_scenes, parse_shard, render_many
from spatial_asmr.generators import GeneratorError
from spatial_asmr.hrtf.sets import bundled_hrtf_path
from spatial_asmr.hrtf.sphere import (
    plane_wave_transfer,
    sphere_hrirs,
    sphere_transfer,
    write_sphere_sofa,
)
from spatial_asmr.motion.coordinates import (
    cart2sph,
    head_rotation,
    sph2cart,
    unit_vectors,
    world_to_head,
)
from spatial_asmr.motion.listener import head_frame, orientation_at
from spatial_asmr.output.mastering import (
    Limiter,
    LoudnessMeter,
    TruePeakMeter,
    finish,
    integrated_loudness,
    limit,
    true_peak,
)
from spatial_asmr.output.writing import write_audio
from spatial_asmr.scene import Keyframe, Orientation, SourceSpec, parse_scene

NAN, INF = float("nan"), float("inf")
HERE = Path(__file__).resolve().parent          # a folder
MISSING = HERE / "no-such-file.sofa"            # nothing there
NOT_SOFA = Path(__file__).resolve()             # a file, but not netCDF
NO_FOLDER = HERE / "no-such-folder" / "out.sofa"

# six directions at 1 m, two ears, 16 taps: the smallest set with a hull
POSITIONS = np.array([[0, 0, 1], [90, 0, 1], [180, 0, 1], [270, 0, 1],
                      [0, 90, 1], [0, -90, 1]], dtype=float)
IR = np.zeros((6, 2, 16))
IR[:, :, 2] = 1.0
AUDIO = np.zeros((480, 2))
K = [Keyframe(0.0, 0.0, 0.0, 1.0), Keyframe(1.0, 90.0, 0.0, 1.0)]


@lru_cache(maxsize=1)
def _scene():
    return parse_scene("duration: 0.1\nsources:\n  - generator: {type: tapping}\n"
                       "    position: {azimuth: 0, elevation: 0, distance: 1}\n",
                       "scene.yaml", HERE)


def _with_scene(function):
    """``function`` with a valid scene as its first argument."""
    def call(*args, **kwargs):
        return function(_scene(), *args, **kwargs)

    call.__name__ = function.__name__
    return call


@lru_cache(maxsize=1)
def _small_set():
    return HrtfSet(IR, POSITIONS, 48000, name="six")


def _method(name):
    """A method of the small HRTF set, bound when the row runs."""
    def call(*args, **kwargs):
        return getattr(_small_set(), name)(*args, **kwargs)
    call.__name__ = f"HrtfSet.{name}"
    return call


def _feed(cls, method, *args):
    """``cls(*args).method`` of a fresh instance, so that rows share no state."""
    def call(chunk):
        return getattr(cls(*args), method)(chunk)
    call.__name__ = f"{cls.__name__}.{method}"
    return call


def _drain(name, *args, **kwargs):
    """generate_chunks, with its first chunk drawn."""
    return next(iter(gen.generate_chunks(name, *args, **kwargs)))


def row(function, args, error, message, **kwargs):
    label = getattr(function, "__name__", repr(function))
    return pytest.param(function, args, kwargs, error, message,
                        id=f"{label}-{message[:48]}")


CASES = [
    # -- load_hrtf, bundled_hrtf_path ------------------------------------------------
    row(load_hrtf, ("kemar", 1), HrtfError,
        "sample_rate is 1 but must be a number of Hz in [8000, 384000]"),
    row(load_hrtf, ("kemar", NAN), HrtfError, "sample_rate is nan but must be"),
    row(load_hrtf, ("kemar", INF), HrtfError, "sample_rate is inf but must be"),
    row(load_hrtf, ("kemar", "48000"), HrtfError, "sample_rate is '48000' but must be"),
    row(load_hrtf, ("kemar", True), HrtfError, "sample_rate is True but must be"),
    row(load_hrtf, ("kemar", np.float64(1e30)), HrtfError, "sample_rate is 1e+30 but must be"),
    row(load_hrtf, (3, 48000), HrtfError, "name_or_path is 3 but must be a name"),
    row(load_hrtf, ("", 48000), HrtfError, "name_or_path is '' but must be a name"),
    row(load_hrtf, ("kemr", 48000), HrtfError, "hrtf is 'kemr' but must be one of"),
    row(load_hrtf, (MISSING, 48000), HrtfError, f"HRTF file {str(MISSING)!r} does not exist"),
    row(load_hrtf, (HERE, 48000), HrtfError,
        f"HRTF file {str(HERE)!r} is a folder but must be a .sofa file"),
    row(bundled_hrtf_path, ("mit",), HrtfError, "hrtf is 'mit' but must be one of"),
    row(bundled_hrtf_path, ([],), HrtfError, "hrtf is [] but must be one of"),
    # -- HrtfSet and its methods -----------------------------------------------------
    row(HrtfSet, (IR[0], POSITIONS, 48000), HrtfError,
        "ir has shape (2, 16) but must be (M, 2, N)"),
    row(HrtfSet, (IR[:0], POSITIONS[:0], 48000), HrtfError,
        "ir has shape (0, 2, 16) but must have at least one measurement"),
    row(HrtfSet, (IR * NAN, POSITIONS, 48000), HrtfError,
        "ir has 192 NaN or infinite values but must be finite"),
    row(HrtfSet, (IR + 0j, POSITIONS, 48000), HrtfError, "ir is an array of shape (6, 2, 16) "
        "but must be an array of real numbers (it has dtype complex128)"),
    row(HrtfSet, (IR, POSITIONS[:2], 48000), HrtfError,
        "positions has shape (2, 3) but must be (6, 3)"),
    row(HrtfSet, (IR, POSITIONS * NAN, 48000), HrtfError,
        "positions has 18 NaN or infinite values but must be finite"),
    row(HrtfSet, (IR, POSITIONS * [1, 1, 0], 48000), HrtfError,
        "positions[0, 2] (a distance) is 0.0 but must be > 0 m"),
    row(HrtfSet, (IR, POSITIONS, 0), HrtfError, "sample_rate is 0 but must be a number of Hz > 0"),
    row(HrtfSet, (IR, POSITIONS, 48000, np.zeros(3)), HrtfError,
        "delays has shape (3,) but must be (6, 2) or (1, 2)"),
    row(HrtfSet, (IR, POSITIONS, 48000, -np.ones((6, 2))), HrtfError,
        "delays[0, 0] is -1.0 but must be >= 0 samples"),
    row(HrtfSet, (IR, POSITIONS, 48000), HrtfError, "name is 3 but must be a str", name=3),
    row(_method("tables"), ("linear",), HrtfError,
        "interpolation is 'linear' but must be 'nearest' or 'barycentric'"),
    row(_method("lookup"), (0.0, 0.0, 1.0, "cubic"), HrtfError,
        "interpolation is 'cubic' but must be"),
    row(_method("lookup"), (NAN, 0.0, 1.0), HrtfError,
        "azimuth has 1 NaN or infinite values but must be finite"),
    row(_method("lookup"), (0.0, INF, 1.0), HrtfError,
        "elevation has 1 NaN or infinite values but must be finite"),
    row(_method("lookup"), (0.0, 0.0, 0.0), HrtfError, "distance is 0.0 but must be > 0 m"),
    row(_method("lookup"), (0.0, 0.0, -1.0), HrtfError, "distance is -1.0 but must be > 0 m"),
    row(_method("lookup"), ([0.0, 5.0], 0.0, [1.0, -2.0]), HrtfError,
        "distance[1] is -2.0 but must be > 0 m"),
    row(_method("lookup"), ("left", 0.0, 1.0), HrtfError,
        "azimuth is 'left' but must be an array of real numbers"),
    row(_method("lookup"), ([0.0, 1.0], [0.0, 1.0, 2.0], 1.0), HrtfError,
        "azimuth, elevation, distance have shapes (2,), (3,), (1,) but must broadcast"),
    row(_method("lookup"), (np.zeros((2, 2)), 0.0, 1.0), HrtfError,
        "have shape (2, 2) but must be (Q,) or scalars"),
    row(_method("interpolate"), (0.0, 0.0, None, "linear"), HrtfError,
        "interpolation is 'linear' but must be"),
    row(_method("interpolate"), (0.0, 0.0, 0.0), HrtfError, "distance is 0.0 but must be > 0"),
    # -- read_sofa, write_sofa -------------------------------------------------------
    row(read_sofa, (3,), HrtfError, "path is 3 but must be the path of a .sofa file"),
    row(read_sofa, (None,), HrtfError, "path is None but must be the path of a .sofa file"),
    row(read_sofa, (MISSING,), HrtfError, f"HRTF file {str(MISSING)!r} does not exist"),
    row(read_sofa, (HERE,), HrtfError, "is a folder but must be a .sofa file"),
    row(read_sofa, (NOT_SOFA,), HrtfError, ": is not a SOFA file"),
    row(write_sofa, (3, IR, POSITIONS, 48000), HrtfError,
        "path is 3 but must be the path of the .sofa file to write"),
    row(write_sofa, (HERE, IR, POSITIONS, 48000), OutputError,
        f"output file {str(HERE)!r} is a folder but must be a file"),
    row(write_sofa, (NO_FOLDER, IR, POSITIONS, 48000), OutputError,
        f"cannot write {NO_FOLDER}: its folder"),
    row(write_sofa, (NO_FOLDER, IR[:, :1], POSITIONS, 48000), HrtfError,
        "ir has shape (6, 1, 16) but must be (M, 2, N)"),
    row(write_sofa, (NO_FOLDER, "ir", POSITIONS, 48000), HrtfError,
        "ir is 'ir' but must be an array of real numbers"),
    row(write_sofa, (NO_FOLDER, [[[0.0]], [[0.0, 1.0]]], POSITIONS, 48000), HrtfError,
        "but must be an array of numbers"),
    row(write_sofa, (NO_FOLDER, IR, POSITIONS[:, :2], 48000), HrtfError,
        "source_positions has shape (6, 2) but must be (6, 3)"),
    row(write_sofa, (NO_FOLDER, IR, POSITIONS, NAN), HrtfError,
        "sample_rate is nan but must be a number of Hz > 0"),
    row(write_sofa, (NO_FOLDER, IR, POSITIONS, -44100), HrtfError,
        "sample_rate is -44100 but must be a number of Hz > 0"),
    row(write_sofa, (NO_FOLDER, IR, POSITIONS, 48000), HrtfError,
        "delays has shape (3, 2) but must be (6, 2) or (1, 2)", delays=np.zeros((3, 2))),
    row(write_sofa, (NO_FOLDER, IR, POSITIONS, 48000), HrtfError,
        "receiver_y is inf but must be a finite number of metres", receiver_y=INF),
    row(write_sofa, (NO_FOLDER, IR, POSITIONS, 48000), HrtfError,
        "title is None but must be a str", title=None),
    # -- sphere ----------------------------------------------------------------------
    row(sphere_transfer, ([1000.0], 0.05, [0.0]), HrtfError,
        "distance is 0.05 but must be > radius (0.0875 m)"),
    row(sphere_transfer, ([1000.0], NAN, [0.0]), HrtfError, "distance is nan but must be"),
    row(sphere_transfer, ([NAN], 1.0, [0.0]), HrtfError,
        "frequency has 1 NaN or infinite values but must be finite"),
    row(sphere_transfer, ([-1.0], 1.0, [0.0]), HrtfError, "frequency is -1.0 but must be >= 0 Hz"),
    row(sphere_transfer, ([0.0, 100.0, -1.0], 1.0, [0.0]), HrtfError,
        "frequency[2] is -1.0 but must be >= 0 Hz"),
    row(sphere_transfer, ([1000.0], 1.0, [[0.0]]), HrtfError,
        "angle has shape (1, 1) but must be (n,)"),
    row(sphere_transfer, ([1000.0], 1.0, [0.0], 0.0), HrtfError,
        "radius is 0.0 but must be a number of metres > 0"),
    row(sphere_transfer, ([1000.0], 1.0, [0.0]), HrtfError,
        "speed_of_sound is -343 but must be a number of m/s > 0", speed_of_sound=-343),
    row(sphere_transfer, ([1000.0], 1.0, [0.0]), HrtfError, "tol is 0 but must be a number in "
        "(0, 1)", tol=0),
    row(sphere_transfer, ([1000.0], 1.0, [0.0]), HrtfError,
        "max_order is 2.5 but must be an integer >= 1", max_order=2.5),
    row(plane_wave_transfer, ([1000.0], [0.0], -0.1), HrtfError,
        "radius is -0.1 but must be a number of metres > 0"),
    row(plane_wave_transfer, ([INF], [0.0]), HrtfError,
        "frequency has 1 NaN or infinite values but must be finite"),
    row(sphere_hrirs, (0,), HrtfError, "sample_rate is 0 but must be a number of Hz > 0"),
    row(sphere_hrirs, (48000, (0.05,)), HrtfError,
        "distances[0] is 0.05 but must be > radius (0.0875 m)"),
    row(sphere_hrirs, (48000, ()), HrtfError, "distances has shape (0,) but must be (n,)"),
    row(sphere_hrirs, (48000, (1.0,), 0.0), HrtfError,
        "step is 0.0 but must be a number of degrees in [1, 180]"),
    row(sphere_hrirs, (48000, (1.0,), 30.0), HrtfError,
        "n_taps is 3 but must be an integer in [4, 65536]", n_taps=3),
    row(write_sphere_sofa, (HERE,), OutputError, "is a folder but must be a file"),
    row(write_sphere_sofa, (NO_FOLDER, 48000, (1.0,), 0.5), HrtfError,
        "step is 0.5 but must be a number of degrees in [1, 180]"),
    # -- coordinates -----------------------------------------------------------------
    row(sph2cart, ("north", 0.0), ArgumentError, "azimuth is 'north' but must be an array of real"),
    row(sph2cart, (INF, 0.0), ArgumentError, "azimuth has 1 NaN or infinite values but must be"),
    row(sph2cart, ([0.0, 1.0], [0.0, 1.0, 2.0]), ArgumentError,
        "azimuth, elevation, distance have shapes (2,), (3,), () but must broadcast"),
    row(unit_vectors, (0.0, NAN), ArgumentError, "elevation has 1 NaN or infinite values"),
    row(cart2sph, ([1.0, 2.0],), ArgumentError, "xyz has shape (2,) but must be (..., 3)"),
    row(cart2sph, ([[NAN, 0.0, 0.0]],), ArgumentError, "xyz has 1 NaN or infinite values"),
    row(head_rotation, (0.0, "up", 0.0), ArgumentError, "pitch is 'up' but must be an array"),
    row(head_rotation, (0.0, 0.0, INF), ArgumentError, "roll has 1 NaN or infinite values"),
    row(world_to_head, ([[1.0, 0.0]], 0.0, 0.0, 0.0), ArgumentError,
        "xyz has shape (1, 2) but must be (Q, 3)"),
    row(world_to_head, ([[1.0, 0.0, 0.0]], [0.0, 1.0], 0.0, 0.0), ArgumentError,
        "yaw, pitch and roll have shape (2,) but must be (1,) or one value per position"),
    # -- listener --------------------------------------------------------------------
    row(orientation_at, (3, [0.5]), ArgumentError,
        "keyframes is 3 but must be a sequence of keyframes"),
    row(orientation_at, ([(0, 0, 0, 1)], [0.5]), ArgumentError,
        "keyframes[0] is (0, 0, 0, 1) but must have the attributes time, yaw"),
    row(orientation_at, ([Orientation(1.0), Orientation(0.0)], [0.5]), ArgumentError,
        "keyframes[1].time is 0.0 but must be > keyframes[0].time (1.0)"),
    row(orientation_at, ([Orientation(0.0, NAN)], [0.5]), ArgumentError,
        "keyframes[0].yaw is nan but must be a finite number"),
    row(orientation_at, ([], "soon"), ArgumentError, "times is 'soon' but must be an array"),
    row(head_frame, ([1.0, 0.0, 0.0], [], [0.0]), ArgumentError,
        "xyz has shape (3,) but must be (Q, 3)"),
    # -- load_scene ------------------------------------------------------------------
    row(load_scene, (3,), SceneError, "path is 3 but must be the path of a scene file"),
    row(load_scene, ("",), SceneError, "path is '' but must be the path of a scene file"),
    row(load_scene, ("a\0b.yaml",), SceneError, "path is 'a\\x00b.yaml' but must be the path"),
    row(load_scene, (HERE / "no-such-scene.yaml",), SceneError, "scene file does not exist"),
    row(load_scene, (HERE,), SceneError, "scene file is a folder but must be a file"),
    # -- generators ------------------------------------------------------------------
    row(gen.generate, ("rain", 1.0, 48000), GeneratorError, "generator 'rain' is unknown but must"),
    row(gen.generate, ("whisper", NAN, 48000), GeneratorError,
        "duration is nan but must be a finite number >= 0 s"),
    row(gen.generate, ("whisper", 1e15, 48000), GeneratorError,
        "duration is 1000000000000000.0 but must be at most 1e+09 s"),
    row(gen.generate, ("whisper", 1.0, 44100.5), GeneratorError,
        "sample_rate is 44100.5 but must be an integer in [8000, 384000] Hz"),
    row(gen.generate, ("whisper", 1.0, 48000, -1), GeneratorError, "seed is -1 but must be"),
    row(gen.generate, ("tapping", 1.0, 48000), GeneratorError, "tap_rate is nan but must be",
        tap_rate=NAN),
    row(_drain, ("tapping", 1e300, 48000), GeneratorError,
        "duration is 1e+300 but must be at most 1e+09 s"),
    row(_drain, ([], 1.0, 48000), GeneratorError, "generator [] is unknown but must be one of"),
    row(gen.segment_samples, ("fast",), GeneratorError,
        "sample_rate is 'fast' but must be an integer in [8000, 384000] Hz"),
    row(gen.segment_samples, (NAN,), GeneratorError, "sample_rate is nan but must be an integer"),
    row(gen.GENERATORS["touch"].check, (1.0, 48000, 0, 3), GeneratorError,
        "params is 3 but must be a mapping of parameter names to values"),
    row(gen.GENERATORS["touch"], (1.0, 48000), GeneratorError, "depth is 2.0 but must be",
        depth=2.0),
    row(gen.whisper, (-1.0, 48000), GeneratorError, "duration is -1.0 but must be"),
    row(gen.tapping, (1.0, 48000), GeneratorError, "surface is 3 but must be one of", surface=3),
    row(gen.hair_brush, (1.0, 0), GeneratorError, "sample_rate is 0 but must be an integer"),
    row(gen.scissors, (1.0, 48000), GeneratorError, "seed is 0.5 but must be an integer >= 0",
        seed=0.5),
    row(gen.paper_crinkle, (INF, 48000), GeneratorError, "duration is inf but must be"),
    row(gen.package_open, ("1", 48000), GeneratorError, "duration is '1' but must be"),
    row(gen.touch, (1.0, 48000), GeneratorError, "depth is nan but must be a number in", depth=NAN),
    # -- mastering -------------------------------------------------------------------
    row(LoudnessMeter, (1,), ArgumentError, "sample_rate is 1 but must be > 3364"),
    row(LoudnessMeter, (48000, 6), ArgumentError, "channels is 6 but must be at most 5"),
    row(LoudnessMeter, (48000, True), ArgumentError, "channels is True but must be an integer"),
    row(_feed(LoudnessMeter, "add", 48000), (np.zeros((10, 3)),), ArgumentError,
        "chunk has shape (10, 3) but must be (n, 2)"),
    row(_feed(LoudnessMeter, "add", 48000), (np.full((10, 2), INF),), ArgumentError,
        "chunk has 20 NaN or infinite values but must be finite"),
    row(TruePeakMeter, (0,), ArgumentError, "channels is 0 but must be an integer >= 1"),
    row(_feed(TruePeakMeter, "add"), (np.zeros((10, 2), complex),), ArgumentError,
        "it has dtype complex128"),
    row(Limiter, (0,), ArgumentError, "sample_rate is 0 but must be > 0"),
    row(Limiter, (48000, NAN), ArgumentError, "ceiling_db is nan but must be finite"),
    row(Limiter, (48000, 1e6), ArgumentError,
        "ceiling_db is 1000000.0 but must be finite, in [-200, 200] dBTP"),
    row(Limiter, (48000, -1.0, 1e12), ArgumentError,
        "lookahead_ms is 1000000000000.0 but must be > 0 and <= 1000 ms"),
    row(Limiter, (48000, -1.0, 2.0, 0.0), ArgumentError, "release_ms is 0.0 but must be > 0"),
    row(_feed(Limiter, "process", 48000), (np.zeros((10, 1)),), ArgumentError,
        "chunk has shape (10, 1) but must be (n, 2)"),
    row(true_peak, ("loud",), ArgumentError, "audio is 'loud' but must be an array of real"),
    row(true_peak, (np.zeros((2, 2, 2)),), ArgumentError,
        "audio has shape (2, 2, 2) but must be (n,) or (n, channels)"),
    row(integrated_loudness, (AUDIO, 0), ArgumentError, "sample_rate is 0 but must be > 3364"),
    row(integrated_loudness, (np.zeros((480, 6)), 48000), ArgumentError,
        "channels is 6 but must be at most 5"),
    row(integrated_loudness, (AUDIO.astype(bool), 48000), ArgumentError,
        "it has dtype bool"),
    row(limit, (AUDIO[:, 0], 48000), ArgumentError,
        "audio has shape (480,) but must be (n, channels)"),
    row(limit, (AUDIO * NAN, 48000), ArgumentError,
        "audio has 960 NaN or infinite values but must be finite"),
    row(limit, (AUDIO, 48000, "loud"), ArgumentError, "ceiling_db is 'loud' but must be"),
    row(finish, (AUDIO, 48000, ("rms", -20.0)), ArgumentError,
        "normalize is 'rms' but must be 'peak' or 'loudness'"),
    row(finish, (AUDIO, 48000, "peak"), ArgumentError,
        "normalize is 'peak' but must be None, ('peak', dBTP) or ('loudness', LUFS)"),
    row(finish, (AUDIO, 48000, ("loudness", INF)), ArgumentError,
        "normalize target is inf but must be finite"),
    row(finish, (AUDIO, 48000, None, "yes"), ArgumentError,
        "integer is 'yes' but must be True or False"),
    # -- render, render_to_file, write_audio, batch ------------------------------------
    row(render, (3,), ArgumentError, "scene is 3 but must be a Scene (from "),
    row(render, ("scene.yaml",), ArgumentError, "scene is 'scene.yaml' but must be a Scene"),
    row(_with_scene(render), (np.int16,), ArgumentError,
        "dtype is <class 'numpy.int16'> but must be float32 or float64"),
    row(_with_scene(render), (), ArgumentError,
        "threads is -1 but must be None or an integer >= 1", threads=-1),
    row(_with_scene(render), (), ArgumentError,
        "threads is 1.5 but must be None or an integer >= 1", threads=1.5),
    row(_with_scene(render), (), ArgumentError,
        "progress is 3 but must be None or a callable progress(done, total)", progress=3),
    row(_with_scene(render), (), ArgumentError, "master is 'no' but must be True or False",
        master="no"),
    row(_with_scene(render), (), OutputError,
        "bit_depth is 8 but must be 16, 24 or 'float'", bit_depth=8),
    row(_with_scene(render_to_file), (3,), OutputError,
        "path is 3 but must be the path of a .wav or .flac file"),
    row(_with_scene(render_to_file), (None,), OutputError,
        "path is None but must be the path of a .wav or .flac file"),
    row(_with_scene(render_to_file), (NO_FOLDER.with_suffix(".wav"),), OutputError,
        "its folder"),
    row(_with_scene(render_to_file), (HERE / "never-written.wav",), ArgumentError,
        "max_memory is -1 but must be a positive number of bytes", max_memory=-1),
    row(write_audio, (NO_FOLDER.with_suffix(".wav"), [AUDIO], 0), ArgumentError,
        "sample_rate is 0 but must be an integer number of Hz in [1, 384000]"),
    row(write_audio, (HERE / "never-written.wav", [np.zeros(10)], 48000), ArgumentError,
        "chunk has shape (10,) but must be (n, 2)"),
    row(write_audio, (HERE / "never-written.wav", [AUDIO * NAN], 48000), ArgumentError,
        "chunk has 960 NaN or infinite values"),
    row(collect_scenes, (3,), ArgumentError, "scenes is 3 but must be a list of scene files"),
    row(collect_scenes, ([3],), ArgumentError, "scenes[0] is a int but must be"),
    row(render_many, ([], HERE), ArgumentError, "jobs is 0 but must be None or an integer >= 1",
        jobs=0),
    row(render_many, ([], HERE), ArgumentError, "jobs is 'two' but must be None or an integer",
        jobs="two"),
    row(render_many, ([], HERE), ArgumentError, "max_memory is '1 parsec' but must be",
        max_memory="1 parsec"),
    row(parse_shard, ("3/2",), ArgumentError, "shard is '3/2' but must be I/N with 0 <= I < N"),
]


@pytest.mark.parametrize(("function", "args", "kwargs", "error", "message"), CASES)
def test_a_bad_argument_raises_a_package_error_naming_it(function, args, kwargs, error,
                                                         message):
    with pytest.raises(error, match=re.escape(message)) as info:
        function(*args, **kwargs)
    assert isinstance(info.value, SpatialAsmrError)


def test_nothing_is_written_when_an_argument_is_bad(tmp_path):
    path = tmp_path / "bad.sofa"
    with pytest.raises(HrtfError):
        write_sofa(path, IR * NAN, POSITIONS, 48000)
    assert list(tmp_path.iterdir()) == []


def test_the_small_set_and_its_file_are_valid_input(tmp_path):
    # the table's good arguments are accepted: only the bad one is refused
    path = tmp_path / "six.sofa"
    write_sofa(path, IR, POSITIONS, 48000, delays=np.ones((1, 2)), receiver_y=-0.09)
    assert read_sofa(path).ir.shape == (6, 2, 16)
    index, weights = _small_set().lookup([10.0, 20.0], 5.0, 1.0)
    assert weights.sum(axis=1) == pytest.approx(1.0)
    assert HrtfSet(IR, POSITIONS, 48000, np.ones((1, 2))).raw_delays.shape == (6, 2)
    assert sph2cart(np.float64(90.0), 0.0)[1] == pytest.approx(1.0)
    assert SourceSpec("k", None, trajectory=K).motion.positions(np.array(0.5)).shape == (3,)
