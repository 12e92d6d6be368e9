"""Compiling the numba kernels ahead (spatial_asmr.kernels), in fresh processes
with a fresh numba cache, as a first render after an install has them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from spatial_asmr import kernels

ROOT = Path(__file__).resolve().parent.parent
SCENES = ROOT / "scenes"

# Renders a moving scene (the exact engine), one of 40 moving sources (the
# basis engine) and a static one normalised to a peak, then prints, per kernel
# of the package, the signatures it holds and how many it compiled rather
# than read from numba's cache.
REPORT = """
import gc, json, sys
from numba.core.registry import CPUDispatcher
from spatial_asmr.cli import main
for scene in sys.argv[2:]:
    main(["render", scene, "-o", sys.argv[1], "-q"])
found = {}
for o in gc.get_objects():
    if isinstance(o, CPUDispatcher) and o.py_func.__module__.startswith("spatial_asmr"):
        found[o.py_func.__module__ + ":" + o.py_func.__name__] = {
            "signatures": [str(s) for s in o.signatures],
            "explicit": not o._can_compile,
            "compiled": sum(o.stats.cache_misses.values())}
print(json.dumps(found))
"""


def _scenes(folder):
    moving = folder / "many.yaml"
    lines = ["duration: 0.5", "render: {engine: basis}", "sources:"]
    lines += [f"  - {{generator: {{type: hair_brush, seed: {k}}}, trajectory: {{orbit: "
              f"{{distance: 0.5, period: 3, start_azimuth: {9 * k}}}}}}}" for k in range(40)]
    moving.write_text("\n".join(lines) + "\n")
    still = folder / "still.yaml"
    still.write_text("duration: 0.5\noutput: {normalize: {peak: -1}}\nsources:\n"
                     "  - {generator: {type: tapping, seed: 3}, "
                     "position: {azimuth: 30, elevation: 0, distance: 1}}\n")
    return [SCENES / "whisper_orbit.yaml", moving, still]


def _env(numba_cache):
    return dict(os.environ, NUMBA_CACHE_DIR=str(numba_cache))


def _report(folder, env):
    done = subprocess.run([sys.executable, "-c", REPORT, str(folder / "out.wav"),
                           *map(str, _scenes(folder))],
                          capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_kernels_compiled_ahead_are_the_ones_every_kind_of_render_reads(tmp_path):
    env = _env(tmp_path / "numba")
    ahead = subprocess.run([sys.executable, "-m", "spatial_asmr.kernels"], capture_output=True,
                           text=True, env=env, timeout=900)
    assert ahead.returncode == 0, ahead.stderr
    # one line per unit, as it starts it
    units = kernels.UNITS + (kernels.BASIS_UNIT,)
    assert ahead.stdout.split() == [str(i) for i in range(len(units))]

    found = _report(tmp_path, env)

    compiled = {name: k["compiled"] for name, k in found.items() if k["compiled"]}
    assert compiled == {}  # every kernel the renders called came from the cache
    table = {f"{module}:{name}": types for module, lazy in units for name, types in lazy.items()}
    modules = {module for module, _ in units}
    for name, kernel in found.items():
        if not kernel["signatures"]:
            continue  # called by kernels only: compiled into them
        if kernel["explicit"]:
            assert name.split(":")[0] in modules, name
            continue
        assert name in table, name
        assert kernel["signatures"] == [str(kernels._argument_types(table[name]))], name
    # and no entry of the table is for a kernel that no render calls
    assert {name for name, k in found.items() if k["signatures"]} >= set(table)


def test_a_first_render_compiles_in_two_processes_and_writes_the_same_bytes(tmp_path):
    from spatial_asmr import load_scene, render_to_file

    scene = SCENES / "whisper_orbit.yaml"
    render_to_file(load_scene(scene), tmp_path / "warm.wav")
    numba_cache = tmp_path / "numba"
    env = _env(numba_cache)
    check = "from spatial_asmr import kernels; print(kernels.cold())"
    before = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                            env=env, timeout=300)
    assert before.stdout.split() == ["True"]  # a render would start a helper

    first = subprocess.run([sys.executable, "-m", "spatial_asmr", "render", str(scene), "-o",
                            str(tmp_path / "first.wav"), "-q"], capture_output=True,
                           text=True, env=env, timeout=900)

    assert first.returncode == 0, first.stderr
    assert (tmp_path / "first.wav").read_bytes() == (tmp_path / "warm.wav").read_bytes()
    check += "; print(kernels.start_helper() is None)"
    after = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                           env=env, timeout=300)
    assert after.stdout.split() == ["False", "True"]  # compiled: no helper now
    # the helper has finished (waited for) and left no temporary file
    assert not [p for p in numba_cache.rglob("*") if ".tmp." in p.name]


def test_the_helper_command_refuses_a_module_without_kernels():
    done = subprocess.run([sys.executable, "-m", "spatial_asmr.kernels", "spatial_asmr.cli"],
                          capture_output=True, text=True, timeout=300)

    assert done.returncode == 2
    assert "no kernels in spatial_asmr.cli" in done.stderr
    assert "spatial_asmr.dsp.convolution" in done.stderr


@pytest.mark.parametrize("module", [m for m, lazy in kernels.UNITS if lazy])
def test_every_lazily_typed_kernel_of_the_table_exists(module):
    import importlib

    lazy = dict(kernels.UNITS)[module]
    loaded = importlib.import_module(module)
    for name, types in lazy.items():
        assert getattr(loaded, name).py_func.__code__.co_argcount == len(
            kernels._argument_types(types)), name
