"""The memory estimate (``info SCENE``, ``--max-memory``) against measured peak memory.

For scenes of 1 to N sources (whisper generators or a 44.1 kHz noise file,
held still or sweeping half a circle), each is rendered in a fresh process;
the peak resident memory the kernel reports (``VmHWM``) is set beside
``estimate_render``'s figure.  A second of the scene is rendered first, so
that compiling the numba kernels (a first run after an install needs about
125 MB more, once) is not measured.

    python benchmarks/memory_estimate.py [--counts 1 50 200] [--seconds 20]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from spatial_asmr.testing import PEAK_MEMORY_SCRIPT, memory_scene


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 50, 200])
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} (1 min)")
    print(f"{'sources':>7s} {'kind':9s} {'motion':6s} {'measured':>9s} {'estimate':>9s} "
          f"{'ratio':>6s} {'wall s':>7s} {'est. s':>7s}")
    ratios = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        rng = np.random.default_rng(0)
        sf.write(folder / "noise.wav", 0.1 * rng.standard_normal(44100 * 30), 44100,
                 subtype="PCM_16")
        for moving in (False, True):
            for kind in ("generator", "file"):
                for count in args.counts:
                    path = folder / "scene.yaml"
                    path.write_text(memory_scene(count, kind, moving, args.seconds, loop=True))
                    done = subprocess.run([sys.executable, "-c", PEAK_MEMORY_SCRIPT, str(path),
                                           str(folder / "out.wav")],
                                          capture_output=True, text=True, check=True)
                    r = json.loads(done.stdout)
                    ratio = r["estimate"] / r["peak"]
                    ratios.append(ratio)
                    print(f"{count:7d} {kind:9s} {'moving' if moving else 'still':6s} "
                          f"{r['peak'] / 1e6:8.0f}M {r['estimate'] / 1e6:8.0f}M "
                          f"{ratio:6.2f} {r['wall']:7.1f} {r['time_estimate']:7.1f}",
                          flush=True)
    print(f"estimate / measured: {min(ratios):.2f} to {max(ratios):.2f}, median "
          f"{float(np.median(ratios)):.2f}")


if __name__ == "__main__":
    main()
