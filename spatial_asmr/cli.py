"""The ``spatial-asmr`` command line."""

import argparse
import sys
import warnings

from . import __version__
from .errors import SpatialAsmrError, SpatialAsmrWarning


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
    render.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bar or summary")

    validate = sub.add_parser(
        "validate", help="check scene files and report every problem",
        description="Check scene files without rendering.  Every problem is reported at "
                    "once, with file, line, field path, value and what is allowed.  Exit "
                    "status 0 if all are valid, 1 otherwise.")
    validate.add_argument("scenes", metavar="SCENE", nargs="+", help="scene files (YAML)")

    sub.add_parser(
        "schema", help="print the JSON Schema of the scene format",
        description="Print the JSON Schema (draft 2020-12) of scene files, for editors "
                    "and validators.")

    sub.add_parser(
        "generators", help="list the procedural trigger generators and their parameters",
        description="List the procedural ASMR trigger generators a scene source can use "
                    "(generator: {type: NAME, seed: N, duration: S, PARAM: VALUE...}).")

    info = sub.add_parser(
        "info", help="describe an HRTF set",
        description="Print what an HRTF set holds: convention, sample rate, number of "
                    "measurements, grid, distances and taps.")
    info.add_argument("hrtf", metavar="HRTF",
                      help="a bundled name (kemar, sphere) or a .sofa file")
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
        kind, target = report.normalize
        lines.append(f"normalised to {kind} {target:g} "
                     f"{'dBTP' if kind == 'peak' else 'LUFS'}: gain {report.gain_db:+.2f} dB")
    if report.limiter.engaged:
        lines.append(f"limiter engaged: up to {report.limiter.max_reduction_db:.2f} dB of gain "
                     f"reduction, {report.limiter.reduced_seconds:.2f} s reduced by more "
                     "than 0.1 dB")
    depth = report.bit_depth
    peak = (f"{report.peak_dbtp:+.1f} dBTP" if math.isfinite(report.peak_dbtp)
            else "silent")
    loud = (f", {report.loudness_lufs:.1f} LUFS" if math.isfinite(report.loudness_lufs)
            else "")
    lines.append(f"wrote {report.path}: {report.seconds:.2f} s, {report.sample_rate} Hz, "
                 f"{depth}{'-bit' if depth != 'float' else ''}, peak {peak}{loud}, "
                 f"{report.wall_seconds:.1f} s ({report.realtime_factor:.1f}x real time)")
    return lines


def _render(args):
    from .pipeline import render_to_file

    if args.from_sidecar is not None:
        from .sidecar import scene_from_sidecar

        if args.scene is not None:
            raise SpatialAsmrError("render takes a SCENE or --from SIDECAR, not both")
        scene = scene_from_sidecar(args.from_sidecar)
    elif args.scene is None:
        raise SpatialAsmrError("render needs a SCENE (or --from SIDECAR)")
    else:
        from .scene import load_scene

        scene = load_scene(args.scene)
    bar = _progress_bar(None, "render", args.quiet)
    progress = None
    if bar is not None:
        def progress(done, total):
            bar.total = total
            bar.n = done
            bar.refresh()
    try:
        report = render_to_file(scene, args.output, bit_depth=args.bit_depth, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    if not args.quiet:
        for line in describe_report(report):
            print(line, file=sys.stderr)
    return 0


def _validate(args):
    from .errors import SceneError
    from .scene import load_scene

    failed = 0
    for path in args.scenes:
        try:
            load_scene(path)
        except SceneError as exc:
            failed += 1
            print(f"error: {exc}", file=sys.stderr)
        else:
            print(f"{path}: valid")
    return 1 if failed else 0


def _schema(args):
    import json

    from .scene_schema import SCENE_SCHEMA

    print(json.dumps(SCENE_SCHEMA, indent=2))
    return 0


def _info(args):
    import numpy as np

    from .hrtf import NAMES, bundled_hrtf_path, load_hrtf
    from .sofa import read_sofa

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
    print(f"  measurements {len(positions)}")
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


def _plot(args):
    from .plot import plot_scene
    from .scene import load_scene

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


_COMMANDS = {"render": _render, "validate": _validate, "schema": _schema, "info": _info,
             "generators": _generators, "plot": _plot}


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
    try:
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
    sys.exit(main())


if __name__ == "__main__":
    _console()
