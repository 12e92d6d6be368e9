"""From scene to file: render, normalise, limit, dither and write, streaming.

Every stage works on chunks, so memory does not grow with the length of the
track; only the output file does:

1. the renderer (:class:`~spatial_asmr.renderer.plan.RenderPlan`) yields the raw
   mix chunk by chunk;
2. with ``output.normalize``, a first pass measures the mix (BS.1770
   integrated loudness from the per-block gating energies, or the true
   peak) while writing it to a float temporary file beside the output
   (the render precision, so nothing is lost); the second pass reads it
   back, applies the gain and goes on.  (Rendering twice would give the
   same bytes, but costs the render time again; the temporary file costs
   8 bytes per stereo frame at float32 precision, 16 at float64, and is
   removed afterwards.)
3. a streaming look-ahead true-peak limiter keeps integer output below
   :data:`~spatial_asmr.output.mastering.CEILING_DB` (and any peak target); it
   passes a mix that does not need it bit for bit.  Where it acts it takes
   loudness away, so with a loudness target the finished mix is metered
   too and, if it falls more than 0.05 LU short, mastered again from the
   temporary file with the gain raised by the shortfall (at most twice;
   no new render);
4. the writer quantises (TPDF dither for 16-bit) and writes under a
   temporary name, renamed when complete.

:func:`render_to_file` is what ``spatial-asmr render`` and ``batch`` call;
:func:`render` returns the same samples in memory (what the file holds, as
floats), or the raw mix with ``master=False``.
"""

__all__ = ["render", "render_to_file", "render_plan_to_file", "RenderReport"]

import math
import time
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import OutputError
from ..output.files import check_space, remove_temporaries
from ..output.writing import (
    Quantiser,
    _parse_bit_depth,
    check_destination,
    output_bytes,
    write_audio,
)
from ..scene.model import Normalize
from .estimate import check_scene_memory

if TYPE_CHECKING:
    from ..output.limiter import LimiterReport


def _no_limiting():
    # imported here, as the other mastering modules are: importing them
    # compiles their kernels, which a first render compiles beside the HRTF
    # set's preprocessing (spatial_asmr.kernels)
    from ..output.limiter import LimiterReport

    return LimiterReport(False, 0.0, 0.0)


def _mastering(*args):
    from ..output.streamed import StreamMastering

    return StreamMastering(*args)


@dataclass(frozen=True)
class RenderReport:
    """What a render wrote and how it went.

    Attributes
    ----------
    path : pathlib.Path or None
        The file written (None for an in-memory render).
    seconds : float
        Length of the output, s.
    sample_rate : int
        Hz.
    bit_depth : {16, 24, 'float'}
    peak_dbtp : float
        True peak of the output (4x oversampled, BS.1770), dBTP; -inf if
        silent.
    loudness_lufs : float
        Integrated loudness of the output (BS.1770), LUFS; -inf if silent.
    normalize : spatial_asmr.scene.Normalize or None
        The scene's target, ``("peak", dBTP)`` or ``("loudness", LUFS)``.
    gain_db : float
        Normalisation gain applied, dB.
    limiter : LimiterReport
    wall_seconds : float
        Time the whole render took, s.
    container : {'WAV', 'RF64', 'FLAC'} or None
        The file format written (RF64 for a ``.wav`` over 4 GiB); None for
        an in-memory render.
    stems : tuple of pathlib.Path
        One file per source, where ``render_to_file`` was asked for them
        (:mod:`spatial_asmr.renderer.stems`).
    """

    path: Path | None
    seconds: float
    sample_rate: int
    bit_depth: int | str
    peak_dbtp: float
    loudness_lufs: float
    normalize: Normalize | None
    gain_db: float
    limiter: "LimiterReport" = field(default_factory=_no_limiting)
    wall_seconds: float = 0.0
    container: str | None = None
    stems: tuple = ()

    @property
    def realtime_factor(self):
        """float : Seconds of audio per second of wall time."""
        return self.seconds / self.wall_seconds if self.wall_seconds > 0 else math.inf

    def as_dict(self):
        """Plain values (JSON-ready; infinities as None).

        Returns
        -------
        dict
        """
        out = asdict(self)
        out["path"] = None if self.path is None else str(self.path)
        out["normalize"] = None if self.normalize is None else list(self.normalize)
        out["realtime_factor"] = self.realtime_factor
        for key, value in list(out.items()):
            if isinstance(value, float) and not math.isfinite(value):
                out[key] = None
        return out


def _progress(chunks, progress, total, sample_rate):
    done = 0
    for chunk in chunks:
        done += len(chunk)
        progress(done / sample_rate, total / sample_rate)
        yield chunk


def _prepare(scene, progress, dtype, threads):
    plan = _plan(scene, dtype, threads)
    chunks = plan.chunks()
    if progress is not None:
        chunks = _progress(chunks, progress, plan.n_samples, plan.sample_rate)
    return plan, chunks


def _plan(scene, dtype, threads):
    """The render plan; where the kernels are not compiled yet, a second
    process compiles them while this one preprocesses the HRTF set."""
    from .plan import RenderPlan

    helper = None
    if dtype == np.float32:
        from .. import kernels
        from .engines import BASIS_FROM

        units = kernels.UNITS
        if scene.render.engine == "basis" or (scene.render.engine == "auto"
                                              and len(scene.sources) >= BASIS_FROM):
            units += (kernels.BASIS_UNIT,)
        helper = kernels.start_helper(units)
    try:
        plan = RenderPlan(scene, dtype, threads=threads)
    except BaseException:
        if helper is not None:
            helper.leave()
        raise
    if helper is not None:
        helper.finish()
    return plan


def render_to_file(scene, path, *, bit_depth=None, progress=None, dtype=np.float32,
                   threads=None, max_memory=None, stems=None):
    """Render a scene and write it as the command line does.

    Render, normalise (``scene.output.normalize``), limit, dither and write
    atomically (a temporary name in the destination folder, renamed when
    complete).  Memory does not grow with the length of the track.

    Parameters
    ----------
    scene : Scene
    path : str or pathlib.Path
        ``.wav`` or ``.flac``.
    bit_depth : {16, 24, 'float'}, optional
        Default ``scene.output.bit_depth``.
    progress : callable, optional
        Called as ``progress(done, total)`` (seconds of audio rendered so
        far, and in all) after each rendered chunk.
    dtype : numpy dtype, optional
        Render precision (float32 or float64).
    threads : int, optional
        Threads the renderer uses (default: every core).  The output does
        not depend on it.
    max_memory : float or str, optional
        Refuse the scene, before anything is rendered, if its estimated
        memory (:func:`spatial_asmr.renderer.estimate.estimate_render`) is over this
        many bytes (or a size such as ``"8G"``; ``"none"`` for no limit).
        Default: half of this machine's memory.
    stems : str or pathlib.Path, optional
        Also write one binaural stem per source into this folder, at the
        mix's normalisation gain, unlimited, 32-bit float WAV named after
        the source (:mod:`spatial_asmr.renderer.stems`): before the mix's
        limiter, the stems add up to the mix.

    Returns
    -------
    RenderReport

    Raises
    ------
    SceneError
        The estimate is over ``max_memory``; the message names the field
        that drives it.
    OutputError
        Bad destination, too little free space (both checked before
        rendering), a write that fails ("cannot write PATH: reason"), or
        integer output that would clip (not reached when the limiter runs).
    """
    from ..checks import check_render_arguments
    from .memory import parse_size

    started = time.perf_counter()
    dtype, threads = check_render_arguments(scene, dtype, threads, progress)
    if max_memory is not None:
        parse_size(max_memory, "max_memory")
    depth = bit_depth if bit_depth is not None else scene.output.bit_depth
    check_destination(path, depth)
    check_scene_memory(scene, max_memory, dtype=dtype, threads=threads)
    plan = _plan(scene, dtype, threads)
    report = render_plan_to_file(plan, path, bit_depth=bit_depth, progress=progress,
                                 started=started)
    if stems is not None:
        from dataclasses import replace

        from .stems import write_stems

        paths = write_stems(scene, stems, report.gain_db, dtype=dtype, threads=threads)
        report = replace(report, stems=tuple(paths),
                         wall_seconds=time.perf_counter() - started)
    return report


def render_plan_to_file(plan, path, *, bit_depth=None, progress=None, started=None):
    """:func:`render_to_file` for a prepared :class:`~spatial_asmr.renderer.plan.RenderPlan`.

    The plan's source streams then hold what the render read (e.g. their
    ``frame_peaks``, for a sidecar).  A plan renders once.

    Returns
    -------
    RenderReport
    """
    started = time.perf_counter() if started is None else started
    scene = plan.scene
    depth = bit_depth if bit_depth is not None else scene.output.bit_depth
    path, depth, fmt = check_destination(path, depth)
    # temporary files a killed render of this output left (SIGKILL, power loss)
    remove_temporaries(path)
    _check_space(plan, path, depth, fmt)
    # the render runs a chunk ahead of the mastering (its meters and spool),
    # and the mastering a chunk ahead of the file: the stages overlap
    rendered = _ahead(plan.chunks(), plan.threads)
    chunks = rendered
    # progress is told on this thread: as the first pass meters the render
    # (with a normalisation target) or as the file is written (without)
    normalize = scene.output.normalize
    if progress is not None and normalize is not None:
        chunks = _progress(chunks, progress, plan.n_samples, plan.sample_rate)
    mastering = _mastering(chunks, plan.sample_rate, normalize, depth != "float",
                           path, plan.dtype)
    try:
        for finished in mastering.passes():
            with closing(_ahead(finished, plan.threads)) as made:
                if progress is not None and normalize is None:
                    made = _progress(made, progress, plan.n_samples, plan.sample_rate)
                written = write_audio(path, made, plan.sample_rate, depth,
                                      frames=plan.n_samples)
    finally:
        rendered.close()
        mastering.close()
    return _report(written.path, written.n_samples, plan, depth, scene, mastering, started,
                   written.container)


def _ahead(chunks, threads):
    """``chunks`` made on a thread of their own while the consumer works,
    where there is more than one thread to run on."""
    if threads > 1:
        from ..readahead import ahead

        return ahead(chunks)
    return chunks


def _check_space(plan, path, depth, fmt):
    """The output and, with a normalisation target, the first pass's
    temporary mix must fit on the disk together."""
    parts = [("the audio", output_bytes(plan.n_samples, depth, fmt))]
    if plan.scene.output.normalize is not None:
        parts.append(("a temporary mix for output.normalize",
                      plan.n_samples * 2 * np.dtype(plan.dtype).itemsize))
    check_space(path, parts)


def _report(path, frames, plan, depth, scene, mastering, started, container=None):
    from ..output.streamed import db

    return RenderReport(
        path=path, seconds=frames / plan.sample_rate, sample_rate=plan.sample_rate,
        bit_depth=depth, peak_dbtp=db(mastering.peak.peak),
        loudness_lufs=mastering.loudness.integrated(), normalize=scene.output.normalize,
        gain_db=float(mastering.gain_db), limiter=mastering.limiter,
        wall_seconds=time.perf_counter() - started, container=container)


def render(scene, dtype=np.float32, *, master=True, bit_depth=None, progress=None,
           threads=None, report=False, max_memory=None):
    """Render a scene to binaural audio in memory.

    Parameters
    ----------
    scene : Scene
        From :func:`spatial_asmr.load_scene`.
    dtype : numpy dtype, optional
        Render precision: float32 (default) or float64.
    master : bool, optional
        True (default): what :func:`render_to_file` would write, as floats
        (normalised, limited, quantised to ``bit_depth`` with the same
        dither), so reading that file gives exactly this array.  False: the
        raw mix.
    bit_depth : {16, 24, 'float'}, optional
        Default ``scene.output.bit_depth``.
    progress : callable, optional
        Called as ``progress(done, total)`` (seconds of audio rendered so
        far, and in all) after each rendered chunk.
    threads : int, optional
        Threads the renderer uses (default: every core).
    report : bool, optional
        Also return the :class:`RenderReport` (mastered renders only).
    max_memory : float or str, optional
        Refuse the scene before rendering if its estimated memory, the
        returned track included, is over this many bytes (or a size such as
        ``"8G"``; ``"none"``: no limit).  Default: half of this machine's
        memory.  :func:`render_to_file` streams: use it for long tracks.

    Returns
    -------
    audio : ndarray, shape (n_samples, 2)
        Left ear in column 0; float64 when mastered, ``dtype`` raw.
    sample_rate : int
        Hz.
    report : RenderReport
        Only with ``report=True``.
    """
    from ..checks import check_render_arguments

    started = time.perf_counter()
    dtype, threads = check_render_arguments(scene, dtype, threads, progress, master=master,
                                            report=report)
    check_scene_memory(scene, max_memory, dtype=dtype, threads=threads, option="max_memory",
                       in_memory="mastered" if master else "raw")
    plan, chunks = _prepare(scene, progress, dtype, threads)
    if not master:
        pieces = list(chunks)
        audio = np.concatenate(pieces, axis=0) if pieces else np.zeros((0, 2), plan.dtype)
        return audio, plan.sample_rate
    depth = _parse_bit_depth(bit_depth if bit_depth is not None else scene.output.bit_depth)
    mastering = _mastering(chunks, plan.sample_rate, scene.output.normalize, depth != "float",
                           None, plan.dtype)
    try:
        for finished in mastering.passes():
            quantise = Quantiser(depth) if depth != "float" else None
            pieces = []
            for chunk in finished:
                if quantise is None:
                    pieces.append(chunk.astype(np.float32).astype(np.float64))
                    continue
                q, overflow = quantise(chunk)
                if overflow:
                    raise OutputError(f"the mix would clip as {depth}-bit integers; lower "
                                      "the level (the sources' gain_db) or use bit depth "
                                      "'float'")
                pieces.append(q / quantise.scale)
    finally:
        mastering.close()
    audio = np.concatenate(pieces, axis=0) if pieces else np.zeros((0, 2))
    if report:
        return audio, plan.sample_rate, _report(None, len(audio), plan, depth, scene,
                                                mastering, started)
    return audio, plan.sample_rate
