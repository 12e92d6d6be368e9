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
