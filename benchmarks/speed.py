"""The speeds a user feels (issue 12), each beside a baseline measured in the same run.

Cases (``--only NAME`` runs one; default all):

``startup``
    ``spatial-asmr --help`` and ``spatial-asmr validate scenes/whisper_orbit.yaml``
    against ``python -c pass``.  Targets: <= 0.3 s and <= 0.6 s.
``first``
    ``spatial-asmr render scenes/whisper_orbit.yaml`` with an empty numba cache and an
    empty HRTF cache (a fresh install), then warm.  Targets: <= 10 s and <= 1.5 s.
``sleep``
    ``spatial-asmr render scenes/sleep.yaml`` end to end (process start to file
    written), warm, and in one process the render loop alone and the mastering of its
    mix alone.  Targets: >= 100x real time end to end; mastering <= 10 % of the render.
``hour``
    A 60-minute scene of the same kind as ``sleep.yaml``: its four sources again
    every 4 minutes (60 in all, each sounding about 70 s, new seeds), the listener
    still but for the same short turn in the last 4 minutes; end to end, with its
    peak RSS.  Target: <= 40 s, within the memory bound.
``activity``
    A scene of 4 moving sources that each sound for a quarter of 120 s, against the same
    sources sounding throughout (the first should cost about a quarter); and a static
    scene of 4 sources with a head turn of 4 s in the middle against the same scene
    without it.
Every case also times ``scipy.signal.oaconvolve`` of its sources' signals with a
two-ear response of the HRTF's length (the static-scene floor).

Usage::

    python benchmarks/speed.py [--only startup|first|sleep|hour|activity] [--repeat 5]

Medians with min and max; the load (``uptime``) is printed first: the machine is
shared, so compare figures of one run.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SCENES = ROOT / "scenes"


def _run(args, env=None):
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"{' '.join(map(str, args))} failed:\n{done.stderr}")
    return wall


def _stats(times):
    times = np.asarray(times)
    return f"median {np.median(times):.3f} s (min {times.min():.3f}, max {times.max():.3f})"


def _timed(args, repeat, env=None):
    _run(args, env)  # warm-up: page cache, compiled kernels
    return [_run(args, env) for _ in range(repeat)]


def _cli():
    # the installed command, as a user starts it (its console-script wrapper
    # included); python -m spatial_asmr where it is not on the PATH
    import shutil

    found = shutil.which("spatial-asmr")
    return [found] if found else [sys.executable, "-m", "spatial_asmr"]


def startup(repeat):
    base = _timed([sys.executable, "-c", "pass"], repeat)
    helps = _timed(_cli() + ["--help"], repeat)
    valid = _timed(_cli() + ["validate", str(SCENES / "whisper_orbit.yaml")], repeat)
    print(f"python -c pass             {_stats(base)}")
    print(f"spatial-asmr --help        {_stats(helps)}   target <= 0.3 s")
    print(f"spatial-asmr validate      {_stats(valid)}   target <= 0.6 s")


def _oaconvolve_floor(scene_path, repeat):
    """oaconvolve of every source signal with a 2-ear response of the HRTF's length."""
    from scipy.signal import oaconvolve

    from spatial_asmr import load_scene
    from spatial_asmr.hrtf import load_hrtf
    from spatial_asmr.sources import source_signal

    scene = load_scene(scene_path)
    hrtf = load_hrtf(scene.hrtf, scene.sample_rate)
    h = np.ascontiguousarray(hrtf.raw[0], dtype=np.float32)  # (2, taps)
    signals = [source_signal(spec, scene.sample_rate, scene.duration, np.float32)
               for spec in scene.sources]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for x in signals:
            oaconvolve(x[None, :], h, axes=-1)
        times.append(time.perf_counter() - start)
    return times


def first(repeat):
    scene = SCENES / "whisper_orbit.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        colds = []
        for k in range(min(repeat, 2)):  # each a fresh install: minutes in all otherwise
            env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp / f"numba{k}"),
                       SPATIAL_ASMR_CACHE=str(tmp / f"cache{k}"))
            colds.append(_run(_cli() + ["render", str(scene), "-o", str(tmp / "a.wav"), "-q"],
                              env))
        warm = _timed(_cli() + ["render", str(scene), "-o", str(tmp / "a.wav"), "-q"], repeat)
    floor = _oaconvolve_floor(scene, repeat)
    print(f"first render, empty caches {_stats(colds)}   target <= 10 s")
    print(f"warm render                {_stats(warm)}   target <= 1.5 s")
    print(f"oaconvolve of its sources  {_stats(floor)}")


def sleep(repeat):
    from spatial_asmr import load_scene
    from spatial_asmr.output.streamed import StreamMastering
    from spatial_asmr.renderer.plan import RenderPlan

    path = SCENES / "sleep.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        wall = _timed(_cli() + ["render", str(path), "-o", str(Path(tmp) / "s.wav"), "-q"],
                      repeat)
    scene = load_scene(path)
    loops, masters = [], []
    for _ in range(repeat):
        plan = RenderPlan(scene)
        start = time.perf_counter()
        mix = list(plan.chunks())
        loops.append(time.perf_counter() - start)
        start = time.perf_counter()
        mastering = StreamMastering(iter(mix), plan.sample_rate, scene.output.normalize, True,
                                    None, plan.dtype)
        for chunks in mastering.passes():
            for _ in chunks:
                pass
        masters.append(time.perf_counter() - start)
    floor = _oaconvolve_floor(path, repeat)
    seconds = scene.duration
    print(f"sleep.yaml end to end      {_stats(wall)}   "
          f"{seconds / np.median(wall):.1f}x real time; target >= 100x (<= 2.4 s)")
    print(f"  render loop              {_stats(loops)}")
    print(f"  mastering of its mix     {_stats(masters)}   "
          f"{100 * np.median(masters) / np.median(loops):.0f} % of the loop; target <= 10 %")
    print(f"oaconvolve of its sources  {_stats(floor)}")


def _sleep_hour(folder, segments=15):
    """sleep.yaml's sources every 4 minutes for an hour (its turn in the last 4)."""
    import copy

    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    base = yaml.load((SCENES / "sleep.yaml").read_text())
    sources = []
    for k in range(segments):
        shift = 240 * k
        for spec in base["sources"]:
            s = copy.deepcopy(spec)
            s["name"] = f"{spec['name']}-{k}"
            s["generator"]["seed"] += 100 * k
            s["start"] = spec.get("start", 0) + shift
            path = s["trajectory"]
            if "offset" in path:
                path["offset"]["start"] += shift
            else:
                s["trajectory"] = {"offset": {"start": s["start"], "path": path}}
            sources.append(s)
    turn = base["listener"]["orientation"]
    base["listener"]["orientation"] = [dict(turn[0])] + [
        dict(key, time=key["time"] + 240 * (segments - 1)) for key in turn[1:]]
    scene = dict(base, duration=240 * segments, sources=sources)
    path = folder / "sleep_hour.yaml"
    with open(path, "w") as fh:
        yaml.dump(scene, fh)
    return path


# runs a command and prints its peak RSS (KiB): the largest of its own children
# only, whatever this benchmark ran before
_PEAK = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
         "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def hour(repeat):
    with tempfile.TemporaryDirectory() as tmp:
        scene = _sleep_hour(Path(tmp))
        _run(_cli() + ["validate", str(scene)])
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _PEAK] + _cli()
                              + ["render", str(scene), "-o", str(Path(tmp) / "h.wav"), "-q"],
                              capture_output=True, text=True, check=True)
        wall = time.perf_counter() - start
    rss = int(done.stdout.split()[-1]) / 1024
    print(f"60-minute sleep scene end to end {wall:.1f} s   {3600 / wall:.1f}x real time; "
          f"peak RSS {rss:.0f} MiB; target <= 40 s")


ACTIVITY = """\
sample_rate: 48000
duration: 120
sources:
{sources}
"""


def _activity_scene(folder, quarter, turn=None, moving=True):
    lines = []
    for k in range(4):
        start, length = (30 * k, 30) if quarter else (0, 120)
        azimuth = 90 * k
        if moving:
            motion = (f"    trajectory: {{orbit: {{distance: 0.4, period: 10, "
                      f"start_azimuth: {azimuth}}}}}")
        else:
            motion = f"    position: {{azimuth: {azimuth}, elevation: 0, distance: 0.4}}"
        lines += [f"  - generator: {{type: hair_brush, seed: {k}, duration: {length}}}",
                  f"    start: {start}", motion]
    text = ACTIVITY.format(sources="\n".join(lines))
    if turn:
        text += ("listener:\n  orientation:\n    - {time: 0, yaw: 0}\n"
                 "    - {time: 58, yaw: 0}\n    - {time: 62, yaw: 30}\n")
    name = f"activity-{int(quarter)}-{int(bool(turn))}-{int(moving)}.yaml"
    (folder / name).write_text(text)
    return folder / name


def _loop_times(path, repeat):
    from spatial_asmr import load_scene
    from spatial_asmr.renderer.plan import RenderPlan

    scene = load_scene(path)
    times = []
    for _ in range(repeat + 1):
        plan = RenderPlan(scene)
        start = time.perf_counter()
        for _ in plan.chunks():
            pass
        times.append(time.perf_counter() - start)
    return times[1:]


def activity(repeat):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        full = _loop_times(_activity_scene(tmp, False), repeat)
        quarter = _loop_times(_activity_scene(tmp, True), repeat)
        still = _loop_times(_activity_scene(tmp, False, moving=False), repeat)
        turned = _loop_times(_activity_scene(tmp, False, turn=True, moving=False), repeat)
    print(f"4 moving sources, all 120 s     {_stats(full)}")
    print(f"4 moving sources, a quarter each {_stats(quarter)}   "
          f"ratio {np.median(quarter) / np.median(full):.2f}; target about 0.25")
    print(f"4 static sources, still head    {_stats(still)}")
    print(f"  with a 4 s head turn          {_stats(turned)}   "
          f"ratio {np.median(turned) / np.median(still):.2f}; target: the turn's cost only")


CASES = {"startup": startup, "first": first, "sleep": sleep, "hour": hour,
         "activity": activity}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=sorted(CASES))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    for name, case in CASES.items():
        if args.only in (None, name):
            print(f"-- {name}")
            case(args.repeat)


if __name__ == "__main__":
    main()
