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
    render.add_argument("scene", metavar="SCENE", help="scene file (YAML)")
    render.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="output file; the format follows the suffix (.wav, .flac)")
    render.add_argument("--bit-depth", choices=["16", "24", "float"], default=None,
                        help="sample format: 16 or 24-bit integer (16-bit is TPDF "
                             "dithered) or 32-bit float; default: the scene's "
                             "output.bit_depth (24)")
    render.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bar or summary")
    return parser


def _render(args):
    import numpy as np

    from .output import write_audio
    from .render import RenderPlan
    from .scene import load_scene

    scene = load_scene(args.scene)
    bit_depth = args.bit_depth if args.bit_depth is not None else scene.output.bit_depth
    plan = RenderPlan(scene)
    chunks = plan.chunks()
    if not args.quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=plan.n_samples / plan.sample_rate, unit="s", unit_scale=False,
                   desc="render", bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} s audio "
                   "[{elapsed}<{remaining}]", file=sys.stderr)

        def progress(it):
            for chunk in it:
                bar.update(len(chunk) / plan.sample_rate)
                yield chunk
            bar.close()

        chunks = progress(chunks)
    report = write_audio(args.output, chunks, plan.sample_rate, bit_depth)
    if not args.quiet:
        seconds = report.n_samples / plan.sample_rate
        peak = report.peak_dbfs
        peak_text = f"{peak:+.1f} dBFS" if np.isfinite(peak) else "silent"
        print(f"wrote {args.output}: {seconds:.2f} s, {plan.sample_rate} Hz, "
              f"{bit_depth}{'-bit' if bit_depth != 'float' else ''}, peak {peak_text}",
              file=sys.stderr)
    return 0


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
        return _render(args)
    except SpatialAsmrError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


def _console():
    sys.exit(main())


if __name__ == "__main__":
    _console()
