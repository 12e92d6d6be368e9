"""The ``spatial-asmr`` command line."""

import argparse
import sys
import warnings

from . import __version__
from .errors import ArgumentError, SpatialAsmrError, SpatialAsmrWarning

_MEMORY_HELP = ("refuse a scene whose estimated memory (see 'info SCENE') is over SIZE, "
                "before rendering: e.g. 8G, 512M (powers of 1024), 1.5GB (of 1000), or "
                "'none'; default: half of this machine's memory")


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="spatial-asmr",
        description="Binaural 3D spatial audio for ASMR: render YAML scenes of sound "
                    "sources around a listener's head to headphone audio.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    render = sub.add_parser(
        "render", help="render a scene file to a WAV or FLAC file",
        description="Render a scene file to binaural audio (channel 0 = left ear). "
                    "The output is written to a temporary name and renamed when complete.")
    render.add_argument("scene", metavar="SCENE", nargs="?", help="scene file (YAML)")
    render.add_argument("--from", dest="from_sidecar", metavar="SIDECAR",
                        help="re-render exactly what a batch sidecar (.json) describes, "
                             "instead of a SCENE")
    render.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="output file; the format follows the suffix (.wav, .flac)")
    render.add_argument("--bit-depth", choices=["16", "24", "float"], default=None,
                        help="sample format: 16 or 24-bit integer (16-bit is TPDF "
                             "dithered) or 32-bit float; default: the scene's "
                             "output.bit_depth (24)")
    render.add_argument("--max-memory", metavar="SIZE", default=None, help=_MEMORY_HELP)
    render.add_argument("--stems", metavar="DIR", default=None,
                        help="also write one binaural stem per source into DIR (NAME.wav, "
                             "32-bit float, the mix's normalisation gain, no limiter: they "
                             "add up to the mix before its limiter)")
    render.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bar or summary")

    batch = sub.add_parser(
        "batch", help="render many scenes (files or folders) into one folder, resumably",
        description="Render scene files and folders of them (searched recursively for "
                    "*.yaml, *.yml) into OUT_DIR: NAME.wav, a sidecar NAME.json (resolved "
                    "scene, file hashes, positions every 100 ms, active intervals) and "
                    "manifest.jsonl.  A re-run skips outputs whose key (a hash of the scene, "
                    "the files it reads, the options and the version) matches.  One failing "
                    "scene does not stop the others; exit status 1 if any failed.")
    batch.add_argument("scenes", metavar="SCENE_OR_FOLDER", nargs="+",
                       help="scene files or folders")
    batch.add_argument("--out-dir", required=True, metavar="DIR", help="output folder")
    batch.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                       help="worker processes (default: the number of cores); each "
                            "renders with one thread")
    batch.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on a Dask cluster: 'local' starts a LocalCluster here, "
                            "tcp://HOST:PORT uses a running scheduler (the workers must "
                            "see the same files by the same paths)")
    batch.add_argument("--shard", metavar="I/N",
                       help="render a deterministic 1/N of the scenes, I = 0..N-1 (for job "
                            "arrays); the manifest is then manifest-I-of-N.jsonl")
    batch.add_argument("--force", action="store_true",
                       help="render every scene, even where the output is up to date")
    batch.add_argument("--bit-depth", choices=["16", "24", "float"], default=None,
                       help="override the scenes' output.bit_depth")
    batch.add_argument("--format", choices=["wav", "flac"], default="wav",
                       help="output format (default wav)")
    batch.add_argument("--annotations", choices=["dcase"], default=None,
                       help="also write DCASE SELD-style annotations NAME.csv (frame, "
                            "class, track, azimuth, elevation, distance in cm)")
    batch.add_argument("--classes", metavar="A,B,...",
                       help="class list of the annotations (default: the generator types "
                            "whisper,hair_brush,scissors,paper_crinkle,package_open,tapping,"
                            "touch); a file source's label is its name")
    batch.add_argument("--stems", action="store_true",
                       help="also write each scene's stems (one file per source) into "
                            "OUT_DIR/NAME.stems/")
    batch.add_argument("--max-memory", metavar="SIZE", default=None,
                       help="refuse (as failed) a scene whose estimated memory is over "
                            "SIZE (e.g. 4G; 'none' for no limit); default: half of this "
                            "machine's memory shared by the jobs")
    batch.add_argument("-q", "--quiet", action="store_true",
                       help="no progress bar; only failures and the summary line")

    validate = sub.add_parser(
        "validate", help="check scene files and report every problem",
        description="Check scene files without rendering.  Every problem is reported at "
                    "once, with file, line, field path, value and what is allowed.  Exit "
                    "status 0 if all are valid, 1 otherwise.")
    validate.add_argument("scenes", metavar="SCENE", nargs="+", help="scene files (YAML)")
    validate.add_argument("--estimate", action="store_true",
                          help="also print each scene's estimated memory, render time and "
                               "output size")
    validate.add_argument("--max-memory", metavar="SIZE", default=None, help=_MEMORY_HELP)

    sub.add_parser(
        "schema", help="print the JSON Schema of the scene format",
        description="Print the JSON Schema (draft 2020-12) of scene files, for editors "
                    "and validators.")

    sub.add_parser(
        "generators", help="list the procedural trigger generators and their parameters",
        description="List the procedural ASMR trigger generators a scene source can use "
                    "(generator: {type: NAME, seed: N, duration: S, PARAM: VALUE...}).")

    info = sub.add_parser(
        "info", help="describe a scene (its cost) or an HRTF set",
        description="For a scene file (.yaml, .yml): its length, sources, and the "
                    "estimated memory (term by term), render time and output size of a "
                    "render.  For an HRTF set: convention, sample rate, number of "
                    "measurements, grid, distances and taps.")
    info.add_argument("hrtf", metavar="SCENE_OR_HRTF",
                      help="a scene file, a bundled HRTF name (kemar, sphere) or a .sofa "
                           "file")
    info.add_argument("--plot", metavar="PNG",
                      help="also draw the measurement grid to this image file")

    plot = sub.add_parser(
        "plot", help="draw the sources' paths around the head",
        description="Draw top and side views of every source's path around the "
                    "listener's head over time (head turns included).")
    plot.add_argument("scene", metavar="SCENE", help="scene file (YAML)")
    plot.add_argument("-o", "--output", required=True, metavar="PNG",
                      help="image file to write (PNG, SVG, PDF)")
    plot.add_argument("--seconds", type=float, default=None,
                      help="time span to draw (default: the scene's duration, else 30)")

    preview = sub.add_parser(
        "preview", help="write an HTML page that plays a scene with its sources moving",
        description="Write one self-contained HTML page (no network) that plays the scene's "
                    "audio and shows, in step with it, top and side views of the head with "
                    "every source moving along its path, a timeline of when each source "
                    "sounds with a scrubber, and with --stems mute and solo per source. "
                    "Open it in a browser from disk.")
    preview.add_argument("scene", metavar="SCENE", help="scene file (YAML)")
    preview.add_argument("-o", "--output", required=True, metavar="PAGE",
                         help="the page to write (.html)")
    preview.add_argument("--audio", metavar="MIX", default=None,
                         help="the rendered mix to play (.wav, .flac, .ogg, .mp3); default: "
                              "render the scene")
    preview.add_argument("--stems", metavar="DIR", default=None,
                         help="play the scene's stems from DIR (NAME.wav per source, as "
                              "'render --stems' writes them) with mute and solo; without "
                              "--audio they are rendered into DIR")
    preview.add_argument("--inline-limit", metavar="SIZE", default="48M",
                         help="most audio put inside the page (e.g. 48M); more is referenced "
                              "beside it (keep the files with the page); default 48M")
    preview.add_argument("-q", "--quiet", action="store_true", help="no summary")

    bench = sub.add_parser(
        "bench", help="benchmark the convolution engines beside baselines",
        description="Real-time factors of the engines (exact and basis; static and "
                    "moving; 1 to 256 sources; block sizes, HRIR lengths, near field, "
                    "interpolation) beside baselines measured in the same run on the same "
                    "signals (per-source numpy convolution with a crossfade, "
                    "scipy.signal.oaconvolve, ffmpeg's sofalizer) and bounds (the forward "
                    "FFTs alone, a memory copy), and the most moving sources each engine "
                    "renders at 1x and 10x real time.  Medians of the runs after a "
                    "warm-up, with min and max; a spread over 25 %% is flagged noisy.")
    bench.add_argument("--quick", action="store_true",
                       help="one case of each engine and baseline, short (under a minute)")
    bench.add_argument("--repeat", type=int, default=3, metavar="N",
                       help="timed runs per case after a warm-up (default 3)")
    bench.add_argument("--only", metavar="PATTERN",
                       help="run only the cases whose names match this regular expression "
                            "(no headline)")
    bench.add_argument("--json", metavar="OUT.json", help="write every figure to this file")
    bench.add_argument("--plot", metavar="OUT.png",
                       help="draw real-time factor against sources (log-log) to this file")
    bench.add_argument("--compare", metavar="OLD.json",
                       help="print each case's ratio to a previous run's --json")
    bench.add_argument("--quality", action="store_true",
                       help="also measure each engine's motion artefacts and leave-one-out "
                            "spectral distortion (KEMAR)")
    bench.add_argument("--no-headline", action="store_true",
                       help="skip the search for the most sources at 1x and 10x")
    return parser


def _progress_bar(total_seconds, desc, quiet):
    """A tqdm bar over seconds of audio on a terminal, else None."""
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total_seconds, unit="s", desc=desc, file=sys.stderr,
                bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} s audio "
                           "[{elapsed}<{remaining}]")


def describe_report(report):
    """The lines ``render`` prints about a finished render.

    Parameters
    ----------
    report : spatial_asmr.RenderReport

    Returns
    -------
    list of str
    """
    import math

    lines = []
    if report.normalize is not None:
        kind, target = report.normalize.kind, report.normalize.target
        named = getattr(report.normalize, "preset", None)
        named = f" ({named}, true peak below {report.normalize.ceiling:g} dBTP)" if named else ""
        lines.append(f"normalised to {kind} {target:g} "
                     f"{'dBTP' if kind == 'peak' else 'LUFS'}{named}: gain "
                     f"{report.gain_db:+.2f} dB")
    if report.limiter.engaged:
        lines.append(f"limiter engaged: up to {report.limiter.max_reduction_db:.2f} dB of gain "
                     f"reduction, {report.limiter.reduced_seconds:.2f} s reduced by more "
                     "than 0.1 dB")
    depth = report.bit_depth
    peak = (f"{report.peak_dbtp:+.1f} dBTP" if math.isfinite(report.peak_dbtp)
            else "silent")
    loud = (f", {report.loudness_lufs:.1f} LUFS" if math.isfinite(report.loudness_lufs)
            else "")
    if report.container == "RF64":
        lines.append("over 4 GiB, too large for a WAV header: written as RF64 (64-bit WAV)")
    lines.append(f"wrote {report.path}: {report.seconds:.2f} s, {report.sample_rate} Hz, "
                 f"{depth}{'-bit' if depth != 'float' else ''}, peak {peak}{loud}, "
                 f"{report.wall_seconds:.1f} s ({report.realtime_factor:.1f}x real time)")
    if report.stems:
        where = report.stems[0].parent
        limited = (" (the limiter engaged on the mix: its peaks are lower than the stems' sum)"
                   if report.limiter.engaged else "")
        lines.append(f"wrote {len(report.stems)} stems in {where}: "
                     f"{', '.join(p.name for p in report.stems)}{limited}")
    return lines


def _render(args):
    from .renderer.pipeline import render_to_file

    if args.from_sidecar is not None:
        from .batch.sidecar import scene_from_sidecar

        if args.scene is not None:
            raise ArgumentError("render takes a SCENE or --from SIDECAR, not both")
        scene = scene_from_sidecar(args.from_sidecar)
    elif args.scene is None:
        raise ArgumentError("render needs a SCENE (or --from SIDECAR)")
    else:
        from .scene.load import load_scene

        scene = load_scene(args.scene)
    bar = None
    progress = None
    if not args.quiet and sys.stderr.isatty():
        def progress(done, total):
            nonlocal bar
            if bar is None:  # the length is known once the scene is prepared
                bar = _progress_bar(total, "render", args.quiet)
            bar.n = done
            bar.refresh()
    try:
        report = render_to_file(scene, args.output, bit_depth=args.bit_depth, progress=progress,
                                max_memory=args.max_memory, stems=args.stems)
    finally:
        if bar is not None:
            bar.close()
    if not args.quiet:
        for line in describe_report(report):
            print(line, file=sys.stderr)
    return 0


def _batch(args):
    from .batch.runner import render_many

    bar = None
    progress = None
    if not args.quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=None, unit="scene", desc="batch", file=sys.stderr)

        def progress(done, total, audio, failed):
            bar.total = total
            bar.n = done
            bar.set_postfix_str(f"{audio:.0f} s audio, {failed} failed", refresh=False)
            bar.refresh()

    try:
        summary = render_many(
            args.scenes, args.out_dir, jobs=args.jobs, scheduler=args.scheduler,
            shard=args.shard, force=args.force, bit_depth=args.bit_depth, format=args.format,
            annotations=args.annotations,
            classes=args.classes.split(",") if args.classes else None, progress=progress,
            max_memory=args.max_memory, stems=args.stems)
    finally:
        if bar is not None:
            bar.close()
    for record in summary.records:
        if record.get("status") == "rendered":
            for message in record.get("warnings") or ():
                print(f"warning: {record['scene']}: {message}", file=sys.stderr)
    for record in summary.failures:
        error = record["error"]
        named = error.startswith(record["scene"])  # scene errors name the file already
        print(f"error: {error}" if named else f"error: {record['scene']}: {error}",
              file=sys.stderr)
    counts = (f"{summary.count('rendered')} rendered, {summary.count('skipped')} up to date, "
              f"{summary.count('failed')} failed")
    total = summary.total
    if summary.interrupted:
        print(f"interrupted: {counts}, {total - len(summary.records)} not done of "
              f"{total} scenes; finished outputs are kept, run again to render the rest",
              file=sys.stderr)
    else:
        print(f"batch: {counts} ({total} scenes, {summary.audio_seconds:.1f} s of audio "
              f"rendered in {summary.wall_seconds:.1f} s); manifest {summary.manifest}",
              file=sys.stderr)
    # 0 only when every scene's output is there and up to date
    return 1 if summary.failures or summary.interrupted else 0


def _validate(args):
    from .errors import SceneError
    from .renderer.estimate import check_scene_memory
    from .scene.load import load_scene

    failed = 0
    for path in args.scenes:
        try:
            scene = load_scene(path)
            estimate = check_scene_memory(scene, args.max_memory)
        except SceneError as exc:
            failed += 1
            print(f"error: {exc}", file=sys.stderr)
        else:
            print(f"{path}: valid")
            if args.estimate:
                for line in estimate.lines():
                    print(line)
    return 1 if failed else 0


def _schema(args):
    import json

    from .scene.schema import SCENE_SCHEMA

    print(json.dumps(SCENE_SCHEMA, indent=2))
    return 0


def _info(args):
    import numpy as np

    if args.hrtf.lower().endswith((".yaml", ".yml")):
        return _info_scene(args)
    from .hrtf.sets import NAMES, bundled_hrtf_path, load_hrtf
    from .hrtf.sofa import read_sofa

    name = args.hrtf
    if name == "sphere":
        hrtf = load_hrtf(name, 48000)
        rate, ir, positions = 48000.0, hrtf.raw, hrtf.positions
        print("sphere: rigid-sphere head model (Duda & Martens 1998), computed")
    else:
        path = bundled_hrtf_path(name) if name in NAMES else name
        data = read_sofa(path)
        rate, ir, positions = data.sample_rate, data.ir, data.source_positions
        attributes = data.attributes
        print(f"{path}")
        print(f"  convention   {attributes.get('SOFAConventions')} "
              f"{attributes.get('SOFAConventionsVersion', '')} "
              f"(SOFA {attributes.get('Version', '?')})")
        for key in ("Title", "DatabaseName", "ListenerShortName", "License"):
            if attributes.get(key):
                print(f"  {key:12s} {str(attributes[key])[:100]}")
    elevations = np.unique(np.round(positions[:, 1], 2))
    print(f"  sample rate  {rate:g} Hz")
    print(f"  taps         {ir.shape[-1]} ({ir.shape[-1] / rate * 1000:.2f} ms)")
    from .hrtf.lazy import DENSE

    dense = (f" (dense: preprocessed where a scene reads it, over {DENSE})"
             if len(positions) > DENSE else "")
    print(f"  measurements {len(positions)}{dense}")
    distances = np.unique(np.round(positions[:, 2], 3))
    print(f"  distances    {', '.join(f'{d:g}' for d in distances)} m")
    print(f"  elevations   {elevations.min():g} to {elevations.max():g} degrees "
          f"({len(elevations)} distinct)")
    print(f"  azimuths     {len(np.unique(np.round(positions[:, 0], 2)))} distinct")
    if args.plot:
        from .plot import plot_grid

        plot_grid(positions, args.plot, title=f"{name}: {len(positions)} measurements")
        print(f"wrote {args.plot}")
    return 0


def _info_scene(args):
    from .renderer.estimate import estimate_render
    from .renderer.memory import default_max_memory, format_size
    from .scene.load import load_scene

    scene = load_scene(args.hrtf)
    estimate = estimate_render(scene)
    print(f"{args.hrtf}")
    print(f"  hrtf         {scene.hrtf}")
    for line in estimate.lines():
        print(line)
    print(f"  levels       {_levels(scene)}")
    _info_engine(scene, estimate.moving_at_once)
    limit = default_max_memory()
    verdict = "within" if estimate.memory_bytes <= limit else "over"
    print(f"  limit        {format_size(limit)} by default (half of this machine's memory): "
          f"{verdict}")
    if args.plot:
        raise ArgumentError("--plot draws an HRTF set's grid; for a scene use "
                               "'spatial-asmr plot SCENE -o PNG'")
    return 0


def _levels(scene):
    """What a level in the scene means, in a line (see README "Levels")."""
    render = scene.render
    own = sorted({s.reference_distance for s in scene.sources
                  if s.reference_distance is not None})
    at = f"{render.reference_distance:g} m" + (
        f" ({len(own)} source{'s at their' if len(own) != 1 else ' at its'} own: "
        f"{', '.join(f'{d:g}' for d in own)} m)" if own else "")
    where = f"straight ahead at {at}"
    if not render.distance_gain:
        where = "straight ahead at any distance (distance_gain: false)"
    if render.hrtf_level == "measured":
        return f"the HRTF file's own level (hrtf_level: measured); 1/r from {at}" \
            if render.distance_gain else "the HRTF file's own level (hrtf_level: measured)"
    return f"a source plays at its file's level {where}"


def _info_engine(scene, moving):
    from .renderer.engines import BASIS_FROM, choose_engine

    engine = choose_engine(scene.render.engine, moving)
    why = ""
    if scene.render.engine == "auto":
        why = (f" (auto: {moving} moving source{'s' if moving != 1 else ''} at once; "
               f"basis from {BASIS_FROM})")
    print(f"  engine       {engine}{why}")
    if engine != "basis" or not moving:
        return
    import numpy as np

    from .hrtf.basis import basis_of
    from .renderer.plan import RenderPlan

    plan = RenderPlan(scene)
    basis = basis_of(plan.table, scene.render.basis_size)
    measured = np.arange(len(plan.hrtf.positions))
    print(f"  basis        {basis.size} filters per ear, "
          f"{100 * basis.residual.max():.2f} % of the table's energy left out; "
          f"LSD {basis.spectral_distortion(measured, plan.sample_rate):.2f} dB against the "
          "measured responses (leave-one-out LSD with interpolation: see "
          "benchmarks/interpolation_lsd.py)")


def _plot(args):
    from .plot import plot_scene
    from .scene.load import load_scene

    plot_scene(load_scene(args.scene), args.output, args.seconds)
    print(f"wrote {args.output}")
    return 0


def _generators(args):
    from .generators import GENERATORS

    for name, entry in GENERATORS.items():
        print(f"{name}: {entry.description}")
        for param, (default, unit, allowed, description) in entry.params.items():
            if isinstance(allowed, tuple) and allowed and isinstance(allowed[0], str):
                span = " | ".join(allowed)
            else:
                span = f"{allowed[0]:g} to {allowed[1]:g}"
            unit_text = f" {unit}" if unit else ""
            print(f"    {param:16s} default {default!s:8s} ({span}{unit_text})  {description}")
    print("every generator also takes seed (integer >= 0) and duration (seconds)")
    return 0


def _preview(args):
    from .preview import write_preview
    from .renderer.memory import parse_size
    from .scene.load import load_scene

    limit = parse_size(args.inline_limit, "--inline-limit")
    scene = load_scene(args.scene)
    report = write_preview(scene, args.output, audio=args.audio, stems=args.stems,
                           inline_limit=limit)
    if not args.quiet:
        where = "inside the page" if report.inlined else "beside the page (keep them with it)"
        print(f"wrote {report.path}: {len(report.tracks)} track(s) {where}", file=sys.stderr)
        for kept in report.rendered:
            print(f"rendered {kept}", file=sys.stderr)
    return 0


def _check_max_memory(args):
    # named as the user typed it, before anything else is done
    if getattr(args, "max_memory", None) is not None:
        from .renderer.memory import parse_size

        parse_size(args.max_memory, "--max-memory")


def _bench(args):
    import re

    from .bench import compare, plot, read_json, run_suite, table, write_json
    from .bench.report import case_line

    if args.repeat < 1:
        raise ArgumentError(f"--repeat is {args.repeat} but must be at least 1")
    if args.only is not None:
        try:
            re.compile(args.only)
        except re.error as exc:
            raise ArgumentError(f"--only is {args.only!r} but must be a regular "
                                f"expression: {exc}") from None
    old = None
    if args.compare:
        try:
            old = read_json(args.compare)
        except ValueError as exc:
            raise ArgumentError(str(exc)) from None

    def progress(row):
        if "name" in row:
            print(case_line(row), file=sys.stderr, flush=True)

    result = run_suite(quick=args.quick, repeat=args.repeat, only=args.only,
                       with_headline=not args.no_headline, with_quality=args.quality,
                       progress=progress)
    print(table(result))
    if old is not None:
        print("\n".join(compare(result, old)))
    if args.json:
        write_json(result, args.json)
        print(f"wrote {args.json}")
    if args.plot:
        plot(result, args.plot)
        print(f"wrote {args.plot}")
    return 0


_COMMANDS = {"render": _render, "batch": _batch, "validate": _validate, "schema": _schema,
             "info": _info,
             "generators": _generators, "plot": _plot, "preview": _preview, "bench": _bench}


def main(argv=None):
    """Entry point; returns the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)

    def show_warning(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, SpatialAsmrWarning):
            print(f"warning: {message}", file=sys.stderr)
        else:
            print(warnings.formatwarning(message, category, filename, lineno, line),
                  file=sys.stderr, end="")

    warnings.showwarning = show_warning
    import signal

    from .interrupts import stop_on

    # SIGTERM (a scheduler, `timeout`, `kill`) stops as Ctrl-C does: the
    # output being written is abandoned cleanly, the previous one kept
    stop_on(signal.SIGTERM, lambda signum: KeyboardInterrupt())
    try:
        _check_max_memory(args)
        return _COMMANDS[args.command](args)
    except SpatialAsmrError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (e.g. `spatial-asmr schema | head`)
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _console():
    _leave(main())


def _leave(code):
    """Exit with ``code`` as the interpreter would, less its teardown.

    Freeing numba's compiled code, the modules and every object takes 0.25
    to 0.3 s after a command that loaded kernels (a warm render of 1.6 s:
    measured from the last exit handler to the process's end).  By then the
    command has closed everything it wrote; what an exit runs first still
    runs here, in its order: the threads' exit hooks and joins, then the
    exit handlers (Dask's, temporary folders').  Elsewhere than CPython,
    or for a code that is not a number, a plain exit.
    """
    import atexit
    import os
    import threading

    shutdown = getattr(threading, "_shutdown", None)
    handlers = getattr(atexit, "_run_exitfuncs", None)
    if code is None:
        code = 0
    if shutdown is None or handlers is None or not isinstance(code, int):
        sys.exit(code)
    shutdown()
    handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed, or a reader that has gone
            pass
    os._exit(code)


if __name__ == "__main__":
    _console()
