"""What a render will cost, before it starts: memory, time and disk.

Rendering streams (nothing grows with the length of the track but the
output file), so what memory a render needs is set by what it holds at
once: the program and HRTF set, one chunk of every source's signal (a
generator segment, a block of a file), the engine's per-channel buffers,
and one peak value per source per 100 ms for the sidecar.  Every term is
computed from the buffer sizes the renderer uses; the constants that are
not (the program itself, a generator's temporaries) were measured as peak
resident memory of real renders (``benchmarks/memory_estimate.py``
compares the two).

:func:`estimate_render` gives the figures; :func:`check_memory` refuses a
scene whose estimate is over a limit, naming the field that drives it.
:func:`default_max_memory` is the limit ``render``, ``validate`` and
``batch`` apply unless told otherwise: half of the memory this machine (or
its container) has.
"""

__all__ = ["RenderEstimate", "estimate_render", "check_memory", "check_scene_memory"]

import os
from dataclasses import dataclass, field

from .memory import default_max_memory, format_size, parse_size

# measured: peak resident memory of a render of one short static source
# (interpreter, numpy, scipy, numba kernels, soundfile) less its buffers
_PROGRAM_BYTES = 215e6
# a generator segment's temporaries while it is made, bytes per sample
# (the SourceStream notes: about 70)
_GENERATOR_TEMPORARY = 70
# soxr's VHQ resampler state and its output block, bytes per stream
_RESAMPLER_BYTES = 2.5e6
_FILE_TEMPORARY = 30e6
# CPU seconds per second of audio, measured on the 2-core development
# machine (2026): a generator's synthesis, by type; reading a file
# (decoding and resampling); the fixed and the moving engine per source
_GENERATOR_SECONDS = {"whisper": 0.0074, "hair_brush": 0.0116, "scissors": 0.0135,
                      "paper_crinkle": 0.0055, "package_open": 0.0073, "tapping": 0.0041,
                      "touch": 0.0071}
_FILE_SECONDS = 0.0018
_STATIC_SECONDS = 0.0006
_MOVING_SECONDS_AT_128 = 0.0090  # per moving source at block size 128
_START_SECONDS = 1.5  # loading the HRTF set and the kernels
# preprocessing an HRTF set (minimum phase, onsets, near-field layers), the
# first render of a set at a rate: measured peak memory with an empty cache
# less that with a full one (KEMAR at 48 kHz)
_PREPROCESS_BYTES = 415e6
# compiling the numba kernels, the first render after an install: measured
# peak memory with an empty cache less that with a full one
_COMPILE_BYTES = 125e6
_START_MOVING_SECONDS = 2.0  # and the moving engine's kernels


@dataclass(frozen=True)
class Part:
    """One term of a memory estimate.

    Attributes
    ----------
    field : str
        The scene field that drives it (``sources``, ``render.block_size``,
        ``hrtf``...), for messages.
    what : str
        What the memory holds.
    count : int
        How many of it (sources, channels).
    each : float
        Bytes each.
    """

    field: str
    what: str
    count: int
    each: float

    @property
    def bytes(self):
        """float : ``count * each``."""
        return self.count * self.each


@dataclass(frozen=True)
class RenderEstimate:
    """What a render of a scene will need.

    Attributes
    ----------
    seconds : float
        Length of the output, s.
    sample_rate : int
    sources : int
    moving : int
        Sources whose filter changes (they move, or the listener turns).
    moving_at_once : int
        The most of those that sound at the same time (what ``render.engine:
        auto`` goes by).
    parts : tuple of Part
        The memory estimate, term by term.
    render_seconds : float
        Expected wall time of the render on a machine like the 2-core one
        the costs were measured on; rarely off by more than a factor of 2.
    output_bytes : int
        Size of the output as 24-bit WAV.
    spool_bytes : int
        Temporary disk space beside the output during the render (the
        mix kept for ``output.normalize``), bytes.
    """

    seconds: float
    sample_rate: int
    sources: int
    moving: int
    parts: tuple = field(default_factory=tuple)
    moving_at_once: int = 0
    render_seconds: float = 0.0
    output_bytes: int = 0
    spool_bytes: int = 0

    @property
    def memory_bytes(self):
        """float : Estimated peak memory of the render, bytes."""
        return sum(p.bytes for p in self.parts)

    def largest(self):
        """Part : The term that needs the most memory."""
        return max(self.parts, key=lambda p: p.bytes)

    def _at_once(self):
        return (f", at most {self.moving_at_once} at once"
                if self.moving_at_once < self.moving else "")

    def lines(self):
        """The estimate as ``info SCENE`` prints it.

        Returns
        -------
        list of str
        """
        out = [f"  length       {self.seconds:.1f} s at {self.sample_rate} Hz "
               f"({self.sources} source{'s' if self.sources != 1 else ''}, "
               f"{self.moving} moving{self._at_once()})",
               f"  memory       about {format_size(self.memory_bytes)}"]
        for p in sorted(self.parts, key=lambda p: -p.bytes):
            count = f"{p.count} x {format_size(p.each)}" if p.count != 1 else ""
            out.append(f"    {format_size(p.bytes):>10s}  {p.what} ({p.field})"
                       + (f": {count}" if count else ""))
        factor = self.seconds / max(self.render_seconds, 1e-9)
        # two figures below 10x (a 1 s scene is 0.2x, not "0x"), whole numbers above
        shown = f"{factor:.2g}" if factor < 10 else f"{factor:.0f}"
        out.append(f"  render time  about {_duration(self.render_seconds)} "
                   f"({shown}x real time, on 2 cores like the reference machine)")
        out.append(f"  output       {format_size(self.output_bytes)} as 24-bit WAV"
                   + (f", and {format_size(self.spool_bytes)} of temporary disk space "
                      "beside it (output.normalize)" if self.spool_bytes else ""))
        return out


def _duration(seconds):
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _scene_seconds(scene, streams):
    sr = int(scene.sample_rate)
    if scene.duration is not None:
        return float(scene.duration)
    return max((s.length for s in streams), default=0) / sr


def estimate_render(scene, dtype="float32", threads=None, in_memory=None):
    """Estimate the memory, time and disk a render of ``scene`` needs.

    Nothing is rendered: the sources' lengths are read from their file
    headers, the HRTF set's size from its file.

    Parameters
    ----------
    scene : Scene
    dtype : {'float32', 'float64'}, optional
        Render precision.
    threads : int, optional
        Threads the renderer uses (default: every core).
    in_memory : {None, 'mastered', 'raw'}, optional
        For :func:`spatial_asmr.render`, which returns the whole track:
        its pieces and the array they are joined into (float64 when
        mastered, ``dtype`` raw).

    Returns
    -------
    RenderEstimate
    """
    import numpy as np

    from ..generators import segment_samples
    from ..hrtf.blend import BLEND
    from ..motion.listener import still_spans
    from ..sources.sounds import FILE_BLOCK
    from ..sources.stream import LOOP_IN_MEMORY, SourceStream
    from .blocks import STATIC_CHUNK_SAMPLES, chunk_samples
    from .engines import choose_engine, most_at_once

    item = np.dtype(dtype).itemsize
    sr = int(scene.sample_rate)
    threads = int(threads) if threads else (os.cpu_count() or 1)
    once = [SourceStream(spec, sr, scene.duration, dtype) if not spec.loop or scene.duration
            else None for spec in scene.sources]
    seconds = _scene_seconds(scene, [s for s in once if s is not None])
    n = int(round(seconds * sr))
    # as the plan lays them out: a fixed filter per span where a source and
    # the listener are still, the time-varying engine where either moves
    spans = [still_spans(spec.motion, scene.listener) for spec in scene.sources]
    moving = [s != [(-np.inf, np.inf)] for s in spans]
    n_moving = sum(moving)
    at_once = most_at_once((0, np.inf) if stream is None else (stream.start, stream.length)
                           for stream, moves in zip(once, moving, strict=True) if moves)
    n_still = sum(len(s) for s, moves in zip(spans, moving, strict=True) if moves)
    B = int(scene.render.block_size)
    hrtf_file = _hrtf_file(scene)  # its header read once
    parts = [Part("hrtf", "program, HRTF set and filter tables", 1,
                  _PROGRAM_BYTES + _hrtf_bytes(hrtf_file, item))]
    generators = [s for s in scene.sources if s.generator is not None]
    files = [s for s in scene.sources if s.generator is None]
    segment = segment_samples(sr)
    if generators:
        # a sound of one segment is held once, in the render precision; a
        # longer one as the segment being read and the next one made (float64)
        # counted for every generator, although a stream lets go of its
        # segment after its last read: what else a long scene's sources hold
        # (the filter spectra their paths reach) is not counted apart, and an
        # hour of sleep.yaml's kind (60 sources) peaks at 561-594 MiB (816 MB
        # estimated)
        held, made = 0.0, 0
        for spec, stream in zip(scene.sources, once, strict=True):
            if spec.generator is None:
                continue
            length = segment if stream is None else stream._sound.length
            held += length * item if length <= segment else segment * (12 + item)
            made = max(made, min(length, segment))
        parts.append(Part("sources", "generator segments held", len(generators),
                          held / len(generators)))
        parts.append(Part("sources", "a generator segment being made", 1,
                          made * _GENERATOR_TEMPORARY))
    if files:
        each = 0.0
        for spec, stream in zip(scene.sources, once, strict=True):
            if spec.generator is not None:
                continue
            each += FILE_BLOCK * (2 * 8 + item)  # a decoded block and its channel
            if stream is None or stream._sound._rate != sr:
                each += _RESAMPLER_BYTES
            if spec.loop and stream is not None and stream._sound.length <= LOOP_IN_MEMORY:
                each += stream._sound.length * item  # a short loop is held whole
        parts.append(Part("sources", "file blocks and resamplers", len(files),
                          each / len(files)))
        parts.append(Part("sources", "a file block being decoded and resampled", 1,
                          _FILE_TEMPORARY))
    if not _hrtf_cached(scene, hrtf_file):
        parts.append(Part("hrtf", "preprocessing the HRTF set (the first render of it at "
                          "this rate; cached after)", 1, _PREPROCESS_BYTES))
    if not kernels_cached():
        parts.append(Part("hrtf", "compiling the kernels (the first render after an install)",
                          1, _COMPILE_BYTES))
    frames = n / (0.1 * sr) + 1
    parts.append(Part("duration", "sidecar peaks every 100 ms", len(scene.sources),
                      frames * 8))
    if n_moving == 0:
        # fixed filters: chunks of STATIC_CHUNK_SAMPLES per source, one being
        # read and one per thread in flight, each with its spectra
        parts.append(Part("sources", "fixed-filter chunks", len(scene.sources),
                          STATIC_CHUNK_SAMPLES * item * (threads + 1)))
    else:
        channels = 2 * n_moving + (len(scene.sources) - n_moving) + n_still
        K = max(1, chunk_samples(channels) // B)
        # per channel: its input in the two engine sets, delay window,
        # spectra; control in the two sets
        channel = (K + 1) * B * item * 5 + (K + 1) * 2 * BLEND * (8 + item) * 2
        parts.append(Part("render.block_size", f"engine buffers (block size {B})", channels,
                          channel))
        if choose_engine(scene.render.engine, at_once) == "basis":
            # per ear and basis filter: its signal over the chunk, the frames
            # that convolve it and their spectra (K unknown before the fit
            # for 'auto': 48, more than the bundled sets take)
            size = 48 if scene.render.basis_size == "auto" else int(scene.render.basis_size)
            parts.append(Part("render.basis_size", f"basis engine signals ({size} filters "
                              "per ear)", 2 * size, chunk_samples(channels) * 4 * 5))
    if in_memory is not None:
        width = 8 if in_memory == "mastered" else item
        parts.append(Part("duration", "the whole track in memory (render() returns it)", 1,
                          2 * n * 2 * width))
    start = _START_MOVING_SECONDS if n_moving else _START_SECONDS
    cost = 0.0  # seconds of one core; a source costs where it sounds
    for spec, moves, stream in zip(scene.sources, moving, once, strict=True):
        each = (_GENERATOR_SECONDS.get(spec.generator[0], 0.01) if spec.generator is not None
                else _FILE_SECONDS)
        each += _MOVING_SECONDS_AT_128 * (128 / B) ** 0.45 if moves else _STATIC_SECONDS
        sounding = seconds if stream is None else min(seconds, (stream.length - stream.start) / sr)
        cost += each * sounding
    # (the time-varying chunk loop looks only at the channels whose filter
    # applies in a chunk: its work follows the sources where they sound)
    render_seconds = start + cost / max(1.0, min(threads, 2) * 0.6)
    spool = n * 2 * item if scene.output.normalize is not None else 0
    return RenderEstimate(seconds=seconds, sample_rate=sr, sources=len(scene.sources),
                          moving=n_moving, moving_at_once=at_once, parts=tuple(parts),
                          render_seconds=render_seconds, output_bytes=n * 6 + 44,
                          spool_bytes=spool)


def kernels_cached():
    """Whether numba's cache holds compiled kernels of this package.

    Looks for numba's index files beside the package's modules (where
    numba keeps them when it can write there) and in ``NUMBA_CACHE_DIR``.

    Returns
    -------
    bool
    """
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent  # spatial_asmr/
    if next(package.glob("**/__pycache__/*.nbi"), None) is not None:
        return True
    folder = os.environ.get("NUMBA_CACHE_DIR")
    return bool(folder) and next(Path(folder).glob("**/*spatial_asmr*/**/*.nbi"), None) \
        is not None


def _hrtf_file(scene):
    """The scene's SOFA file, its size in bytes and whether it is dense (more than
    ``hrtf.lazy.DENSE`` measurements); None for the computed sphere set."""
    from ..hrtf.bundled import NAMES, bundled_hrtf_path
    from ..hrtf.lazy import DENSE

    if scene.hrtf == "sphere":
        return None
    path = bundled_hrtf_path(scene.hrtf) if scene.hrtf in NAMES else scene.hrtf
    try:
        size = os.path.getsize(path)
    except OSError:
        size = 0
    # only a file of some size can hold that many responses: read its header then
    return path, size, size > 2e6 and _measurements(path) > DENSE


def _hrtf_cached(scene, hrtf_file):
    from ..hrtf.cached import is_preprocessed

    if hrtf_file is None:
        return True  # computed, never cached: within the program's share
    path, _, dense = hrtf_file
    if dense:
        return True  # preprocessed as read, never whole: counted in _hrtf_bytes
    try:
        return is_preprocessed(path, scene.sample_rate)
    except OSError:
        return True  # unreadable: the render reports it


def _hrtf_bytes(hrtf_file, item):
    """The HRTF set in memory: its responses, their minimum-phase versions,
    onset delays and near-field layers; measured as about 20 times the
    size of its SOFA file in float32.  A dense set (more than
    ``hrtf.lazy.DENSE`` measurements) is preprocessed only where it is read:
    about 3.2 times its file (measured on a 41,527-direction set: 555 MiB
    for 171 MB)."""
    if hrtf_file is None:  # the sphere set
        return 20e6 * item / 4
    _, size, dense = hrtf_file
    if dense:
        return 3.2 * size
    return 20.0 * size * item / 4


def _measurements(path):
    """The number of measurements (dimension M) a SOFA file declares; 0 if unreadable."""
    try:
        import netCDF4

        with netCDF4.Dataset(str(path), "r") as dataset:
            return len(dataset.dimensions["M"])
    except (OSError, KeyError, RuntimeError):
        return 0


def check_memory(scene, estimate, max_memory, limit_from="--max-memory"):
    """Refuse a scene whose estimated memory is over ``max_memory``.

    Parameters
    ----------
    scene : Scene
    estimate : RenderEstimate
    max_memory : float
        Bytes (``math.inf``: no limit).
    limit_from : str, optional
        Where the limit comes from, for the message: the option as the
        user gave it (``"--max-memory 4G"``) or ``"default"`` (half of
        this machine's memory).

    Raises
    ------
    SceneError
        Naming the scene file, the field that drives the estimate, the
        figures and what to do.
    """
    from ..errors import SceneError, SceneProblem

    need = estimate.memory_bytes
    if need <= max_memory:
        return
    totals = {}
    for p in estimate.parts:
        totals[p.field] = totals.get(p.field, 0.0) + p.bytes
    # the program and HRTF set are fixed: name what the scene can change,
    # unless they alone are over the limit
    variable = {k: v for k, v in totals.items() if k != "hrtf"}
    if totals.get("hrtf", 0.0) > max_memory or not variable:
        field = "hrtf"
    else:
        field = max(variable, key=variable.get)
    what = ", ".join(
        f"{p.count} x {format_size(p.each)} for {p.what}" if p.count != 1
        else f"{format_size(p.bytes)} for {p.what}"
        for p in sorted(estimate.parts, key=lambda p: -p.bytes) if p.field == field)
    if limit_from == "default":
        limit_from = ("by default half of this machine's memory; set it with --max-memory, "
                      "or max_memory= in Python")
    advice = {"sources": "render fewer sources per scene (and mix the renders), or raise "
                         "the limit",
              "render.block_size": "raise render.block_size, or raise the limit",
              "duration": "shorten the duration, or raise the limit",
              "hrtf": "the program and its HRTF set alone need that much: raise the "
                      "limit"}[field]
    if field == "duration" and any(p.what.startswith("the whole track") for p in estimate.parts):
        advice = "render to a file instead (render_to_file streams), or shorten the duration"
    name = str(scene.path) if scene.path is not None else "scene"
    raise SceneError(SceneProblem(
        name, None, field,
        f"{field}: the render needs an estimated {format_size(need)} of memory, "
        f"{format_size(totals[field])} of it for {field} ({what}), but the limit is "
        f"{format_size(max_memory)} ({limit_from}); {advice}"))


def check_scene_memory(scene, max_memory=None, *, dtype="float32", threads=None, jobs=1,
                       option="--max-memory", in_memory=None):
    """Refuse a scene whose estimated memory is over a limit.

    Parameters
    ----------
    scene : Scene
    max_memory : float or str, optional
        Bytes, or a size (``"8G"``, ``"none"``); default
        :func:`~spatial_asmr.renderer.memory.default_max_memory` for ``jobs``.
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
    if max_memory is None:
        limit, limit_from = default_max_memory(jobs), "default"
    else:
        limit, limit_from = parse_size(max_memory, option), f"{option} {max_memory}"
    estimate = estimate_render(scene, dtype=_dtype_name(dtype), threads=threads,
                               in_memory=in_memory)
    check_memory(scene, estimate, limit, limit_from)
    return estimate


def _dtype_name(dtype):
    import numpy as np

    return np.dtype(dtype).name
