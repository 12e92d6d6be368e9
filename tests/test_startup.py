"""What start-up loads: --help and validate stay light, no render loads scipy.signal.

Timings are benchmarks (benchmarks/speed.py); these tests check the imports
that make them, in fresh interpreters.
"""

import subprocess
import sys
from pathlib import Path

SCENES = Path(__file__).resolve().parent.parent / "scenes"


def _modules_after(code):
    done = subprocess.run([sys.executable, "-c", code + "\nimport sys\n"
                           "print(' '.join(sorted(sys.modules)))"],
                          capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_the_command_line_and_the_package_import_nothing_heavy():
    for code in ("import spatial_asmr", "import spatial_asmr.cli",
                 "from spatial_asmr.cli import _build_parser; _build_parser()"):
        loaded = _modules_after(code)
        assert not {"numba", "scipy", "spatial_asmr.hrtf.sets"} & loaded, code


def test_validating_a_scene_loads_neither_numba_nor_scipy(tmp_path):
    loaded = _modules_after(
        "from spatial_asmr.scene import load_scene\n"
        "from spatial_asmr.renderer.estimate import check_scene_memory\n"
        f"check_scene_memory(load_scene({str(SCENES / 'sleep.yaml')!r}))")
    assert "spatial_asmr.scene.load" in loaded
    assert not {m for m in loaded if m == "numba" or m.startswith("scipy")}


def test_a_render_does_not_import_scipy_signal(tmp_path):
    loaded = _modules_after(
        "from spatial_asmr import load_scene, render_to_file\n"
        f"render_to_file(load_scene({str(SCENES / 'whisper_orbit.yaml')!r}), "
        f"{str(tmp_path / 'out.wav')!r})")
    assert "spatial_asmr.renderer.plan" in loaded
    assert "scipy.signal" not in loaded


def test_preparing_a_render_leaves_the_mastering_kernels_to_the_mastering():
    # importing a mastering module compiles its kernels: a first render
    # compiles them in a second process while it preprocesses the HRTF set
    loaded = _modules_after(
        "from spatial_asmr import load_scene\n"
        "from spatial_asmr.renderer.pipeline import _plan\n"
        "import numpy as np\n"
        f"_plan(load_scene({str(SCENES / 'whisper_orbit.yaml')!r}), np.float32, None)")
    assert "spatial_asmr.renderer.plan" in loaded
    assert not {"spatial_asmr.output.loudness", "spatial_asmr.output.truepeak",
                "spatial_asmr.output.limiter"} & loaded


def test_a_command_leaves_with_its_code_its_output_flushed_and_its_exit_handlers_run():
    # the command line leaves without the interpreter's teardown (0.25-0.3 s
    # once kernels are loaded); what an exit runs first still runs
    program = ("import atexit, threading, time\n"
               "from spatial_asmr.cli import _leave\n"
               "atexit.register(lambda: print('handler ran'))\n"
               "done = []\n"
               "threading.Thread(target=lambda: (time.sleep(0.2), done.append(1))).start()\n"
               "atexit.register(lambda: print('thread joined', done))\n"
               "print('buffered', end=' ')\n"
               "_leave(3)\n")
    run = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert run.returncode == 3
    assert run.stdout == "buffered thread joined [1]\nhandler ran\n"
    # a code that is not a number leaves as sys.exit would: printed, status 1
    run = subprocess.run([sys.executable, "-c", "from spatial_asmr.cli import _leave; "
                          "_leave('no such thing')"], capture_output=True, text=True)
    assert (run.returncode, run.stderr) == (1, "no such thing\n")
