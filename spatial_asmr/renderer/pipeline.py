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
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..errors import OutputError
from ..output.mastering import CEILING_DB, Limiter, LimiterReport, LoudnessMeter, TruePeakMeter
from ..output.writing import (
    Quantiser,
    _parse_bit_depth,
    check_destination,
    check_space,
    output_bytes,
    remove_temporaries,
    write_audio,
    writing,
)

_READ_BACK = 1 << 16  # frames per chunk of the second pass


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
    normalize : tuple or None
        The scene's target, ``("peak", dBTP)`` or ``("loudness", LUFS)``.
    gain_db : float
        Normalisation gain applied, dB.
    limiter : LimiterReport
    wall_seconds : float
        Time the whole render took, s.
    container : {'WAV', 'RF64', 'FLAC'} or None
        The file format written (RF64 for a ``.wav`` over 4 GiB); None for
        an in-memory render.
    """

    path: Path | None
    seconds: float
    sample_rate: int
    bit_depth: int | str
    peak_dbtp: float
    loudness_lufs: float
    normalize: tuple | None
    gain_db: float
    limiter: LimiterReport = field(default_factory=lambda: LimiterReport(False, 0.0, 0.0))
    wall_seconds: float = 0.0
    container: str | None = None

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


def _db(linear):
    return 20.0 * math.log10(linear) if linear > 0 else -math.inf


class _Spool:
    """The raw mix of the first pass, kept for the second.

    On disk (a temporary file ``.NAME.XXXX.mix`` beside the output,
    removed by :meth:`close`) or, without an output, in memory (for
    :func:`render`, whose result is in memory anyway).
    """

    def __init__(self, output, dtype):
        self.dtype = np.dtype(dtype)
        self.frames = 0
        self._pieces = None
        self._file = None
        self.path = None
        self._output = output
        if output is None:
            self._pieces = []
            return
        folder = output.parent if str(output.parent) else Path(".")
        with writing(output):
            fd, path = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".mix", dir=folder)
        self.path = path
        self._file = os.fdopen(fd, "w+b")

    def write(self, chunk):
        chunk = np.ascontiguousarray(chunk, dtype=self.dtype)
        self.frames += len(chunk)
        if self._pieces is not None:
            self._pieces.append(chunk)
            return
        with writing(self._output):
            self._file.write(chunk.tobytes())

    def chunks(self):
        if self._pieces is not None:
            yield from self._pieces
            return
        with writing(self._output):
            self._file.flush()
        self._file.seek(0)
        frame = 2 * self.dtype.itemsize
        while True:
            data = self._file.read(_READ_BACK * frame)
            if not data:
                return
            yield np.frombuffer(data, dtype=self.dtype).reshape(-1, 2)

    def close(self):
        self._pieces = None
        if self._file is not None:
            self._file.close()
            self._file = None
            try:
                os.unlink(self.path)
            except OSError:
                pass


class _Mastering:
    """Normalise and limit a stream of mix chunks; see the module docstring.

    Parameters
    ----------
    chunks : iterable of ndarray, shape (n, 2)
        The raw mix (read once).
    sample_rate : int
    normalize : None or tuple
        ``("peak", dBTP)`` or ``("loudness", LUFS)``.
    integer : bool
        Integer output: the true peak is limited to :data:`CEILING_DB`
        (or the peak target, if lower).  Float output is limited only to a
        peak target.
    spool : pathlib.Path or None
        The output, beside which the first pass keeps its temporary file
        (with ``normalize``); None keeps it in memory.
    dtype : numpy dtype
        Precision of the raw mix (what the temporary file stores).
    """

    ATTEMPTS = 3
    TOLERANCE_LU = 0.05

    def __init__(self, chunks, sample_rate, normalize, integer, spool, dtype):
        self.sample_rate = sample_rate
        self.normalize = normalize
        self.gain_db = 0.0
        self.ceiling = CEILING_DB if integer else None
        self._chunks = chunks
        self._store = None
        self._spool = spool
        self._dtype = dtype
        self.limiter = LimiterReport(False, 0.0, 0.0)
        self.peak = self.loudness = None

    def measure(self):
        """First pass (with ``normalize``): meter the mix into the spool."""
        if self.normalize is None:
            return
        kind, target = self.normalize
        if kind not in ("peak", "loudness"):
            raise ValueError(f"normalize is {kind!r} but must be 'peak' or 'loudness'")
        meter = TruePeakMeter() if kind == "peak" else LoudnessMeter(self.sample_rate)
        self._store = _Spool(self._spool, self._dtype)
        for chunk in self._chunks:
            meter.add(chunk)
            self._store.write(chunk)
        if kind == "peak":
            if meter.peak > 0:
                self.gain_db = target - _db(meter.peak)
            integer = self.ceiling is not None
            self.ceiling = min(target, CEILING_DB) if integer else target
        else:
            loudness = meter.integrated()
            if math.isfinite(loudness):
                self.gain_db = target - loudness

    def chunks(self):
        """The finished mix, metered (true peak and loudness), float64."""
        self.peak, self.loudness = TruePeakMeter(), LoudnessMeter(self.sample_rate)
        source = self._store.chunks() if self._store is not None else self._chunks
        gain = 10.0 ** (self.gain_db / 20.0)
        limiter = Limiter(self.sample_rate, self.ceiling) if self.ceiling is not None else None
        pieces = (np.asarray(c, dtype=np.float64) for c in source)
        for chunk in pieces:
            if self.gain_db:
                chunk = chunk * gain
            if limiter is not None:
                chunk = limiter.process(chunk)
            if len(chunk):
                self._meter(chunk)
                yield chunk
        if limiter is not None:
            rest = limiter.flush()
            if len(rest):
                self._meter(rest)
                yield rest
            self.limiter = limiter.report

    def _meter(self, chunk):
        self.peak.add(chunk)
        self.loudness.add(chunk)

    def again(self):
        """Whether to master once more from the spool, with a corrected gain.

        Where the limiter has to act, it takes loudness away: the finished
        mix falls short of a loudness target.  The gain is then raised by
        the shortfall and the mix mastered again from the spool (no new
        render), until it is within :attr:`TOLERANCE_LU`.
        """
        if self.normalize is None or self.normalize[0] != "loudness" or \
                not self.limiter.engaged:
            return False
        measured = self.loudness.integrated()
        miss = self.normalize[1] - measured
        if not math.isfinite(measured) or abs(miss) <= self.TOLERANCE_LU:
            return False
        self.gain_db += miss
        return True

    def close(self):
        if self._store is not None:
            self._store.close()
            self._store = None

    def passes(self):
        """Finished-mix iterables, one per mastering attempt (usually one)."""
        self.measure()
        for attempt in range(self.ATTEMPTS):
            yield self.chunks()
            if self._store is None or attempt == self.ATTEMPTS - 1 or not self.again():
                return


def _progress(chunks, progress, total, sample_rate):
    done = 0
    for chunk in chunks:
        done += len(chunk)
        progress(done / sample_rate, total / sample_rate)
        yield chunk


def _prepare(scene, progress, dtype, threads):
    from .plan import RenderPlan

    plan = RenderPlan(scene, dtype, threads=threads)
    chunks = plan.chunks()
    if progress is not None:
        chunks = _progress(chunks, progress, plan.n_samples, plan.sample_rate)
    return plan, chunks


def render_to_file(scene, path, *, bit_depth=None, progress=None, dtype=np.float32,
                   threads=None, max_memory=None):
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
    from .estimate import parse_size

    started = time.perf_counter()
    dtype, threads = check_render_arguments(scene, dtype, threads, progress)
    if max_memory is not None:
        parse_size(max_memory, "max_memory")
    depth = bit_depth if bit_depth is not None else scene.output.bit_depth
    check_destination(path, depth)
    check_scene_memory(scene, max_memory, dtype=dtype, threads=threads)
    from .plan import RenderPlan

    plan = RenderPlan(scene, dtype, threads=threads)
    return render_plan_to_file(plan, path, bit_depth=bit_depth, progress=progress,
                               started=started)


def check_scene_memory(scene, max_memory=None, *, dtype=np.float32, threads=None, jobs=1,
                       option="--max-memory", in_memory=None):
    """Refuse a scene whose estimated memory is over a limit.

    Parameters
    ----------
    scene : Scene
    max_memory : float or str, optional
        Bytes, or a size (``"8G"``, ``"none"``); default
        :func:`~spatial_asmr.renderer.estimate.default_max_memory` for ``jobs``.
    option : str, optional
        The option that sets the limit, for messages.

    Returns
    -------
    RenderEstimate

    Raises
    ------
    SceneError
        The estimate is over the limit.
    ArgumentError
        ``max_memory`` is not a size.
    """
    from .estimate import check_memory, default_max_memory, estimate_render, parse_size

    if max_memory is None:
        limit, limit_from = default_max_memory(jobs), "default"
    else:
        limit, limit_from = parse_size(max_memory, option), f"{option} {max_memory}"
    estimate = estimate_render(scene, dtype=np.dtype(dtype).name, threads=threads,
                               in_memory=in_memory)
    check_memory(scene, estimate, limit, limit_from)
    return estimate


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
    chunks = plan.chunks()
    if progress is not None:
        chunks = _progress(chunks, progress, plan.n_samples, plan.sample_rate)
    mastering = _Mastering(chunks, plan.sample_rate, scene.output.normalize, depth != "float",
                           path, plan.dtype)
    try:
        for finished in mastering.passes():
            written = write_audio(path, finished, plan.sample_rate, depth, frames=plan.n_samples)
    finally:
        mastering.close()
    return _report(written.path, written.n_samples, plan, depth, scene, mastering, started,
                   written.container)


def _check_space(plan, path, depth, fmt):
    """The output and, with a normalisation target, the first pass's
    temporary mix must fit on the disk together."""
    parts = [("the audio", output_bytes(plan.n_samples, depth, fmt))]
    if plan.scene.output.normalize is not None:
        parts.append(("a temporary mix for output.normalize",
                      plan.n_samples * 2 * np.dtype(plan.dtype).itemsize))
    check_space(path, parts)


def _report(path, frames, plan, depth, scene, mastering, started, container=None):
    return RenderReport(
        path=path, seconds=frames / plan.sample_rate, sample_rate=plan.sample_rate,
        bit_depth=depth, peak_dbtp=_db(mastering.peak.peak),
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
    mastering = _Mastering(chunks, plan.sample_rate, scene.output.normalize, depth != "float",
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
