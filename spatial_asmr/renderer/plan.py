"""Scene rendering: orchestrates signals, trajectories, HRTF lookup, delay
lines and the convolution engine.  No DSP is done here.

Per source and block boundary the renderer evaluates the position, looks up
the HRTF (measurement indices and barycentric weights per ear), the onset
delay per ear and the distance gain.  Over every span where a source and the
listener are both still (``still_spans``) the source is one input channel
whose filter (HRTF blend, delay folded in exactly, gain) is fixed, taking the
source's signal over that span; where either moves, the source is one
channel per ear, each read through its own smoothly moving fractional delay
line, whose filter is the per-block blend of time-aligned responses.  The
two share the signal at each hand-over through complementary raised-cosine
ramps (``gates.HAND_OVER`` samples) inside the still span, where they are the same
response, so their sum is exact.  A channel is read, transformed and
accumulated only from its first possibly non-zero input block until its tail
has left the engine.

Blocks are processed in chunks (:func:`~.blocks.chunk_samples`), so memory does
not grow with the length of the track.  When nothing moves (static sources,
still listener) there is nothing to control: the fixed filters run in a
:class:`~spatial_asmr.dsp.convolution.FixedConvolver` with long blocks, which gives
the same output.
"""

__all__ = ["RenderPlan"]

import os
from dataclasses import dataclass

import numpy as np
from scipy import fft

from ..dsp.convolution import FixedConvolver, PartitionedConvolver
from ..dsp.delay import MARGIN, DelayBank, fold_delays, folded_length
from ..errors import SceneError, SpatialAsmrWarning
from ..hrtf.blend import BLEND
from ..hrtf.sets import load_hrtf
from ..hrtf.spatializer import Spatializer
from ..hrtf.sphere import SPEED_OF_SOUND
from ..motion.listener import head_frame, still_spans
from ..sources.stream import SourceStream
from .blocks import CONTROL_CHUNKS, LONGEST_CHUNK, STATIC_CHUNK_SAMPLES, STATIC_FFT, chunk_samples
from .engines import choose_engine, most_at_once
from .gates import ALWAYS, moving_part, moving_span, still_gates, still_part

STATIC, BOTH = -1, 2  # channel kinds besides the ears 0 (left) and 1 (right)

RANGE_MARGIN = 1.0
"""float : Seconds before a source's first sample and after its last over
which its distances are looked at (with 4 blocks and the responses' length
more): the span where its filter may apply."""


def _most_per_chunk(lo, hi, K, n_blocks):
    """The most of the intervals ``[lo, hi]`` (blocks, inclusive) that hold
    the first block of one chunk (blocks 0, K, 2K, ... below ``n_blocks``)."""
    n_chunks = max(-(-n_blocks // K), 1)
    first = np.maximum(-(-np.asarray(lo, dtype=np.int64) // K), 0)
    last = np.minimum(np.asarray(hi, dtype=np.int64) // K, n_chunks - 1)
    keep = first <= last
    count = np.zeros(n_chunks + 1, dtype=np.int64)
    np.add.at(count, first[keep], 1)
    np.add.at(count, last[keep] + 1, -1)
    return int(np.cumsum(count).max())


class _Muted:
    """A source's stream in another source's stem: silence (no input block is active)."""

    start = 0
    length = 0

    def read(self, start, out):
        out[:] = 0
        return out


def _frames(y, n):
    """The first ``n`` samples of ear rows ``y`` (2, >= n) as C-contiguous
    frames (n, 2), what every consumer of the mix reads (written a column at
    a time: 6 times faster than numpy's copy of the transposed view)."""
    out = np.empty((n, 2), dtype=y.dtype)
    out[:, 0] = y[0, :n]
    out[:, 1] = y[1, :n]
    return out


@dataclass
class _Source:
    stream: object  # signals.SourceStream
    spec: object

    @property
    def motion(self):
        """The source's path (spatial_asmr.motion.paths.SourcePath)."""
        return self.spec.motion

    def xyz(self, times):
        """World positions (listener at the origin, unturned), shape (Q, 3)."""
        return self.spec.motion.positions(times)

    def distance_range(self, seconds, start=0.0):
        """Smallest and largest distance from the head centre over a time span."""
        return self.spec.motion.distance_range(seconds, start)


class RenderPlan:
    """Everything prepared to render a scene: HRTF, signals, engine layout.

    Parameters
    ----------
    scene : Scene
        A validated scene (see :func:`spatial_asmr.load_scene`).
    dtype : numpy dtype, optional
        Processing precision: float32 (default; rounding noise near -150 dB
        full scale) or float64.
    hrtf : HrtfSet, optional
        Use this set instead of loading ``scene.hrtf``.
    threads : int, optional
        Threads for FFTs and static chunks (default: every core).  The
        output does not depend on it.
    solo : int, optional
        Render only this source (a stem): the others are silent, the plan
        (filter table, engine, length) stays the scene's, so the stems of
        all sources add up to the mix.
    """

    def __init__(self, scene, dtype=np.float32, hrtf=None, threads=None, solo=None):
        self.scene = scene
        self.threads = int(threads) if threads else (os.cpu_count() or 1)
        self.sample_rate = sr = int(scene.sample_rate)
        self.block_size = int(scene.render.block_size)
        self.interpolation = scene.render.interpolation
        self.hrtf = hrtf if hrtf is not None else load_hrtf(scene.hrtf, sr)
        self.dtype = np.dtype(dtype)
        # with more than one thread, a generator's next segment is made
        # while the render works on this one: on one thread all sources
        # share (made when first asked for), ended when the render ends
        self._reading = None
        if self.threads > 1:
            from concurrent.futures import ThreadPoolExecutor

            self._reading = ThreadPoolExecutor(1, thread_name_prefix="spatial-asmr-ahead")
        self.sources = self._signals(scene, sr, self.dtype,
                                     self._reading if self._reading is not None else False)
        self._reference_gains = None  # made by _gains when first needed
        self._references = np.array([
            spec.reference_distance if spec.reference_distance is not None
            else scene.render.reference_distance for spec in scene.sources])
        self._lengths = [src.stream.length for src in self.sources]  # before a solo
        starts = [src.stream.start for src in self.sources]
        if solo is not None:
            for i, src in enumerate(self.sources):
                if i != solo:
                    src.stream = _Muted()
        settings = scene.render
        span = (scene.duration if scene.duration is not None
                else max(self._lengths) / sr)
        # the distances where each source sounds (and its filter tail
        # after): in a long scene of many sources in turn, a small part of
        # the scene each
        margin = RANGE_MARGIN + 4 * self.block_size / sr + self.hrtf.n_taps / sr
        ranges = [src.distance_range(min(length / sr + margin, span),
                                     min(max(start / sr - margin, 0.0), span))
                  for src, start, length in zip(self.sources, starts, self._lengths,
                                                strict=True)]
        closest = min(r[0] for r in ranges)
        if settings.distance_gain and settings.hrtf_level == "frontal":
            closest = min(closest, self._references.min())  # the layers of its gain
        self.spatializer = Spatializer(
            self.hrtf, self.interpolation, near_field=settings.near_field,
            head_radius=settings.head_radius, doppler=settings.doppler, closest=closest,
            dtype=self.dtype)
        table = self.spatializer.table
        self._warn_inside_head(scene, ranges)
        # Channels: (source index, ear, filter row).  A static source is one
        # channel (ear STATIC) with a fixed filter row; a moving source is one
        # delayed channel per ear (ear 0, 1), or, when there are no delays at
        # all (nearest mode on a set without Data.Delay, no Doppler), one
        # undelayed channel feeding both ears (ear BOTH).
        static_filters = []
        self.channels = []
        self.gates = []  # per channel: input samples [g0, g1) it takes, or None (all)
        undelayed = not self.spatializer.delayed and not settings.doppler
        # Where neither a source nor the listener moves, the source is a
        # static channel (a fixed filter, its delay folded in) taking the
        # source's input over that span only; the delayed channels of the
        # time-varying engine take the rest.  Both are exact representations
        # of the same response where they meet, so the hand-over is exact.
        self.still = [self._still_gates(src, span) for src in self.sources]
        everywhere = [len(g) == 1 and g[0] == (-ALWAYS, ALWAYS, 0, 0) for g in self.still]
        if all(everywhere):
            table = table[:0]  # the engine needs only the fixed filters
        for i in range(len(self.sources)):
            for gate in self.still[i]:
                g0, g1 = gate[:2]
                row = table.shape[0] + len(static_filters)
                # the position anywhere inside the span (its middle, within the scene)
                end = int(round(span * sr))
                middle = 0.0 if everywhere[i] else 0.5 * (max(g0, 0) + min(g1, end)) / sr
                static_filters.append(self._static_filter(i, middle))
                self.channels.append((i, STATIC, row))
                self.gates.append(None if everywhere[i] else gate)
            if everywhere[i]:
                continue
            ears = [BOTH] if undelayed else [0, 1]
            for ear in ears:
                self.channels.append((i, ear, None))
                self.gates.append(None)
        # the moving sources that sound at once (from their first sample to
        # the end of their sound): what the engines' costs follow
        # (the scene's, not a stem's: a stem takes the engine of its mix)
        self.moving_at_once = most_at_once(
            (starts[i], self._lengths[i])
            for i in range(len(self.sources)) if not everywhere[i])
        self.engine = choose_engine(settings.engine, self.moving_at_once)
        n_taps = max([table.shape[-1]] + [f.shape[-1] for f in static_filters])
        # the filter table: the HRTF table (shared, not copied) and then one
        # row per static source
        self.table = table
        self.static_filters = np.zeros((len(static_filters), 2, n_taps), dtype=self.dtype)
        for k, f in enumerate(static_filters):
            self.static_filters[k, :, :f.shape[-1]] = f
        self.n_taps = n_taps
        max_delay = self.spatializer.delay_bound
        if settings.doppler:
            farthest = max(r[1] for r in ranges)
            max_delay += farthest / SPEED_OF_SOUND * sr
        self.max_delay = max_delay  # bound on every delay-line delay, samples
        self.tail = folded_length(n_taps, max_delay)
        longest = max(self._lengths, default=0)
        if scene.duration is not None:
            self.n_samples = int(round(scene.duration * sr))
        else:
            self.n_samples = longest + self.tail
        if solo is None:
            self._warn_silent(scene, sr)

    @staticmethod
    def _signals(scene, sr, dtype, read_ahead=False):
        """Source streams; looping ones fill the scene (its duration, or else
        the end of the longest source that does not loop)."""
        duration = scene.duration
        once = {i: SourceStream(spec, sr, duration, dtype, read_ahead=read_ahead)
                for i, spec in enumerate(scene.sources)
                if not spec.loop}
        if duration is None:
            if not once:
                where = f"{scene.path}: " if scene.path is not None else ""
                raise SceneError(f"{where}every source loops and the scene has no duration; "
                                  "give the scene a duration")
            duration = max(s.length for s in once.values()) / sr
        return [_Source(once[i] if i in once
                        else SourceStream(spec, sr, duration, dtype, read_ahead=read_ahead),
                        spec)
                for i, spec in enumerate(scene.sources)]

    def _warn_inside_head(self, scene, ranges):
        import warnings

        limit = self.spatializer.min_distance
        for spec, (closest, _) in zip(scene.sources, ranges, strict=True):
            if closest < limit:
                warnings.warn(
                    f"source {spec.name!r} comes to {closest:g} m from the head centre; "
                    f"closer than the head radius plus 1 cm ({limit:.4g} m) it is "
                    f"rendered at that distance", SpatialAsmrWarning, stacklevel=3)

    def _warn_silent(self, scene, sr):
        # a source that adds nothing is most likely a mistake (a trim past
        # the file's end, an empty file, a start after the end); it is a
        # warning, not an error, since the render is still what the scene says
        import warnings

        for spec, src in zip(scene.sources, self.sources, strict=True):
            start = int(round(spec.start * sr))
            if start >= self.n_samples:
                why = (f"it starts at {spec.start:g} s, when the scene has ended "
                       f"({self.n_samples / sr:g} s)")
            elif src.stream.length - start <= 0:
                if spec.file is not None and spec.trim is not None:
                    why = (f"its trim [{spec.trim[0]:g}, {spec.trim[1]:g}] s holds no "
                           f"samples of {spec.file.name}")
                elif spec.file is not None:
                    why = f"{spec.file.name} holds no samples"
                else:
                    why = "its generator makes no samples (duration 0)"
            else:
                continue
            warnings.warn(f"source {spec.name!r} contributes nothing: {why}",
                          SpatialAsmrWarning, stacklevel=3)

    def _gains(self, distance, sources):
        """Gain of each query (`sources`: the source of each).

        With ``hrtf_level: frontal`` the level of the set is taken out: with
        distance gain, ``g(reference) * reference / distance``; without it,
        ``g(distance)``; ``g`` is the spatializer's frontal gain (a source
        straight ahead plays at its file's level).  With ``measured``,
        ``reference / distance`` or 1.
        """
        settings = self.scene.render
        frontal = settings.hrtf_level == "frontal"
        if not settings.distance_gain:
            return self.spatializer.frontal_gains(distance) if frontal else np.ones_like(distance)
        if self._reference_gains is None:
            self._reference_gains = (self.spatializer.frontal_gain(self._references) if frontal
                                     else np.ones(len(self._references)))
        return self._reference_gains[sources] * self._references[sources] / distance

    def _head_frame(self, xyz, times):
        """World positions (Q, 3) to the listener's head frame at those times."""
        return head_frame(xyz, self.scene.listener, times)

    def _still_gates(self, src, span):
        return still_gates(still_spans(src.motion, self.scene.listener), self.block_size,
                           self.sample_rate, span)

    def _static_filter(self, source, time=0.0):
        at = np.full(1, float(time))
        xyz = self._head_frame(self.sources[source].motion.positions(at), at)
        index, weights, delays, distance = self.spatializer.query(xyz)
        weights = weights[0] * self._gains(distance, [source])[0]
        table = self.spatializer.table
        blended = np.einsum("ek,eket->et", weights, table[index[0]])
        return fold_delays(blended, delays[0],
                           folded_length(table.shape[-1], self.spatializer.delay_bound))

    def _control(self, sources, boundaries):
        """Filter and delay of each ear of some sources at block boundaries.

        Parameters
        ----------
        sources : list of int
            Source indices.
        boundaries : ndarray of int, shape (Q,)
            Block boundaries (negative ones are clamped to 0).

        Returns
        -------
        index, weights : ndarray, shape (len(sources), Q, 2, BLEND)
            Filter-table rows and blend weights (gain included) per ear.
        delays : ndarray, shape (len(sources), Q, 2)
            Delay-line delay per ear, samples.
        """
        times = np.maximum(boundaries, 0) * (self.engine_block_size / self.sample_rate)
        xyz = np.empty((len(sources), len(times), 3))
        for j, s in enumerate(sources):
            xyz[j] = self.sources[s].xyz(times)
        xyz = self._head_frame(xyz.reshape(-1, 3), np.tile(times, len(sources)))
        index, weights, delays, distance = self.spatializer.query(xyz)
        weights = weights * self._gains(distance, np.repeat(sources, len(times)))[:, None, None]
        shape = (len(sources), len(times))
        return (index.reshape(shape + (2, BLEND)), weights.reshape(shape + (2, BLEND)),
                delays.reshape(shape + (2,)))

    def _control_some(self, source_of, first_block, last_boundary, boundaries):
        """:meth:`_control` of the sources whose channels apply a filter at
        one of the boundaries.

        Parameters
        ----------
        source_of, first_block, last_boundary : ndarray of int, shape (C,)
            Each engine row's source, and the block boundaries between which
            its filter applies.
        boundaries : ndarray of int, shape (Q,)

        Returns
        -------
        row_of : dict of int to int
            Each of those sources' row in the arrays.
        index, weights, delays : ndarray
            As :meth:`_control` returns them, a row per source of ``row_of``.
        """
        lo, hi = boundaries[0], boundaries[-1]
        sources = np.unique(source_of[(first_block <= hi) & (last_boundary >= lo)]).tolist()
        if not sources:
            shape = (0, len(boundaries))
            return {}, (np.zeros(shape + (2, BLEND), dtype=np.int64),
                        np.zeros(shape + (2, BLEND)), np.zeros(shape + (2,)))
        return {s: j for j, s in enumerate(sources)}, self._control(sources, boundaries)

    @property
    def controlled(self):
        """Whether any channel's filter or delay changes over time."""
        return any(ear != STATIC for _, ear, _ in self.channels)

    @property
    def engine_block_size(self):
        """Block size the engine runs at.

        The scene's block size is the control rate: filters and delays
        change once per block.  When nothing moves there is nothing to
        control, and the exact same output comes out faster in long
        overlap-save blocks: one fast FFT length of at least
        ``STATIC_FFT`` (and 4 filter lengths) holds a block and a filter.
        """
        if self.controlled:
            return self.block_size
        n_taps = self.n_taps
        return fft.next_fast_len(max(STATIC_FFT, 4 * n_taps), real=True) - n_taps + 1

    def chunks(self):
        """Yield the rendered output in chunks.

        Yields
        ------
        audio : ndarray, shape (n, 2)
            Consecutive pieces of the output (left, right), ``dtype``.
        """
        try:
            yield from self._chunks()
        finally:
            # ended, failed or abandoned: every stream lets go of its samples
            # and its read-ahead thread (what they counted, frame_peaks, stays)
            for src in self.sources:
                finish = getattr(src.stream, "finish", None)
                if finish is not None:
                    finish()
            if self._reading is not None:
                self._reading.shutdown()

    def _chunks(self):
        if not self.controlled:
            yield from self._fixed_chunks()
            return
        B = self.engine_block_size
        n_blocks = -(-self.n_samples // B)
        workers = self.threads
        moving = [c for c, (_, ear, _) in enumerate(self.channels) if ear in (0, 1)]
        shared = [c for c, (_, ear, _) in enumerate(self.channels) if ear == BOTH]
        static = [c for c, (_, ear, _) in enumerate(self.channels) if ear == STATIC]
        # The time-varying engine runs the moving and shared channels at the
        # scene's block size; the static ones (fixed filters) run beside it
        # in a fixed-filter engine whose one block is the whole chunk (the
        # same exact convolution, one FFT per chunk instead of per block).
        controlled = moving + shared
        C = len(controlled)
        if self.engine == "basis":
            # imported here: its kernel is compiled (or read from the cache) on import
            from ..dsp.basis_convolution import BasisConvolver
            from ..hrtf.basis import basis_of

            engine = BasisConvolver(basis_of(self.table, self.scene.render.basis_size), B, C,
                                    self.dtype)
        else:
            engine = PartitionedConvolver(self.table, B, C, self.dtype)
        first_block, last_block = self._input_blocks(B)
        # a channel's filter is applied from its first input block until
        # its tail has left the engine's partitions (plus a boundary each
        # side, so that no crossfade from or to zero meets any sound)
        last_boundary = np.where(first_block <= last_block,
                                 last_block + engine.n_partitions + 1, first_block - 1)
        ctl_rows = np.array(controlled, dtype=np.int64)  # channel index of each engine row
        # per engine row: its source, its first input block and the last
        # block boundary its filter applies at, its last input block
        row_source = np.array([self.channels[c][0] for c in controlled], dtype=np.int64)
        row_first, row_applies = first_block[ctl_rows], last_boundary[ctl_rows]
        row_last = last_block[ctl_rows]
        static_rows = np.array(static, dtype=np.int64)
        # Chunks are as long as the channels in them allow (CHUNK_BUDGET),
        # and the engine's buffers hold the rows that apply a filter in a
        # chunk, not all: a long scene of many sources in turn renders in
        # the chunks of the few that sound at once.
        sounds = row_first <= row_applies  # (a row that never sounds never applies)
        still_sounds = first_block[static_rows] <= last_block[static_rows]

        def most(K):
            # the most rows applying a filter (the moving ones among them)
            # and static channels read in one chunk of K blocks
            rows = _most_per_chunk((row_first - K)[sounds], row_applies[sounds], K, n_blocks)
            mv = sounds[:len(moving)]
            moving_rows = _most_per_chunk((row_first[:len(moving)] - K)[mv],
                                          row_applies[:len(moving)][mv], K, n_blocks)
            fixed_rows = _most_per_chunk((first_block[static_rows] - K + 1)[still_sounds],
                                         (last_block[static_rows] + K)[still_sounds], K,
                                         n_blocks)
            return rows, moving_rows, fixed_rows

        rows_most, _, fixed_most = most(LONGEST_CHUNK // B)
        K = max(1, chunk_samples(rows_most + fixed_most) // B)
        n_rows, n_moving, _ = most(K)  # fewer in shorter chunks
        L = K * B
        first = self.table.shape[0]
        fixed = (FixedConvolver(self.static_filters[[self.channels[c][2] - first for c in static]],
                                fft.next_fast_len(L + self.n_taps - 1, real=True), self.dtype,
                                block_size=L)
                 if static else None)
        # the delay lines read one window per moving source (both ears share
        # it): the span of the chunk, reaching back by the largest delay
        group_of = {}
        for c in moving:
            group_of.setdefault(self.channels[c][0], len(group_of))
        window_of = np.array([group_of[self.channels[c][0]] for c in moving], dtype=np.int64)
        bank = DelayBank(window_of, self.dtype)
        source_of_window = {g: s for s, g in group_of.items()}
        reach = int(np.ceil(self.max_delay)) + 1 + MARGIN
        # a window per source sounding in the chunk (at most one per moving row)
        windows = np.zeros((n_moving, (K + 1) * B + reach + 2 * MARGIN), self.dtype)
        # engine input and control of the rows applying a filter in a chunk,
        # two sets used in turn: the engine convolves one chunk on its own
        # thread while the next is prepared (sources read, delay lines,
        # control) in the other set
        sets = [(np.empty((n_rows, (K + 1) * B), dtype=self.dtype),
                 np.zeros((n_rows, K + 1, 2, BLEND), dtype=np.int64),
                 np.zeros((n_rows, K + 1, 2, BLEND), dtype=self.dtype)) for _ in range(2)]
        delays = np.zeros((len(moving), K + 2))
        last_reads = self._last_reads(K, n_blocks, first_block, last_block, static)
        # positions and HRTF lookups are computed for CONTROL_CHUNKS chunks
        # at a time: fewer, larger vectorised calls
        span = K * CONTROL_CHUNKS
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(1) if static else None
        was_on = np.zeros(len(static), dtype=bool)  # the static rows on in the chunk before
        ahead = ThreadPoolExecutor(1) if C else None  # the engine, one chunk at a time
        done = 0
        pending = None

        def finish(job):
            # the chunk whose engine output (and fixed-filter part) is complete
            nonlocal done
            y, k_n, convolved, beside = job
            if convolved is not None:
                y[:, :k_n * B] += convolved.result()
            if beside is not None:
                y += beside.result()
            n = min(k_n * B, self.n_samples - done)
            done += n
            return _frames(y, n)

        try:
            for k0 in range(0, n_blocks, K):
                k_n = min(K, n_blocks - k0)
                start = (k0 - 1) * B
                y = np.zeros((2, L), dtype=self.dtype)
                buffer, index_set, weights_set = sets[(k0 // K) % 2]
                beside = convolved = None
                if static:
                    # read first: its window starts before the delay lines' (L > B + reach);
                    # it holds the chunk before, so a response's tail is in it
                    on = ((first_block[static_rows] <= k0 + K - 1)
                          & (last_block[static_rows] >= k0 - K))
                    # the rows that are off are neither read nor transformed;
                    # those that have gone off for good let go of their spectra
                    # (on the engine's thread, after the chunk that used them)
                    ended = np.flatnonzero(was_on & ~on)
                    if len(ended):
                        pool.submit(fixed.release, ended)
                    was_on = on
                    fixed_input = np.empty((len(static), 2 * L), dtype=self.dtype)
                    for i in np.flatnonzero(on):
                        c = static[i]
                        s = self.channels[c][0]
                        self.sources[s].stream.read(k0 * B - L, fixed_input[i])
                        if self.gates[c] is not None:
                            still_part(fixed_input[i], k0 * B - L, self.gates[c])
                    # on its own thread, while the time-varying engine works
                    beside = pool.submit(fixed.process, fixed_input, 1, on)
                if C:
                    if k0 % span == 0:
                        # boundaries k0 - 1 ... k0 + span (inclusive), for the
                        # sources whose filters apply somewhere in them (the
                        # others' weights are zero there, and their delays unused)
                        last = min(k0 + span, n_blocks)
                        row_of, ctl = self._control_some(row_source, row_first, row_applies,
                                                         np.arange(k0 - 1, last + 1))
                    j0 = k0 % span
                    idx, w, d = (a[:, j0:j0 + k_n + 2] for a in ctl)
                    boundaries = np.arange(k0, k0 + k_n + 1)
                    # the rows whose filter applies at some boundary of the chunk
                    # (every active one among them): only they have rows in the
                    # engine's input and control, in order; the others apply no
                    # filter and are silent
                    near = np.flatnonzero((row_first <= k0 + k_n) & (row_applies >= k0))
                    applied = ((boundaries >= row_first[near, None])
                               & (boundaries <= row_applies[near, None]))  # (len(near), k_n + 1)
                    some = applied.any(axis=1)
                    applying, applied = near[some], applied[some]
                    n = len(applying)
                    active = ((row_first[applying] <= k0 + k_n - 1)
                              & (row_last[applying] >= k0 - 1))
                    # C-contiguous, as the kernels take it
                    x = buffer.reshape(-1)[:n * (k_n + 1) * B].reshape(n, (k_n + 1) * B)
                    index, weights = index_set[:n, :k_n + 1], weights_set[:n, :k_n + 1]
                    index[:] = 0
                    weights[:] = 0
                    for i, m in enumerate(applying):
                        c = controlled[m]
                        s, ear, _ = self.channels[c]
                        r = row_of[s]
                        ears = slice(None) if ear == BOTH else ear
                        index[i, :, ears] = idx[r, 1:, ears]
                        weights[i, :, ears] = w[r, 1:, ears]
                        if ear != BOTH:
                            delays[m, :k_n + 2] = d[r, :, ear]
                    mine = applying[applying < len(moving)]  # moving rows: the first
                    if len(mine):
                        here = delays[mine, :k_n + 2]  # the delays set for this chunk
                        offset = start - reach
                        if here.max() > self.max_delay + 0.5 or here.min() < -0.5:
                            raise AssertionError("a delay is outside the planned window")
                        # only sources whose delayed signal may be non-zero here,
                        # each into a window of its own
                        sounding = np.unique(window_of[mine[active[:len(mine)]]])
                        for i, g in enumerate(sounding):
                            s = source_of_window[g]
                            self.sources[s].stream.read(offset, windows[i])
                            moving_part(windows[i], offset, self.still[s])
                        # read straight into the engine's input; the rows of the
                        # silent ones are left as they are (the engine skips them)
                        bank.read(windows[:len(sounding)], offset, start, (k_n + 1) * B, here,
                                  B, out=x[:len(mine)], groups=sounding, workers=workers,
                                  fill=False, rows=mine)
                    for i in len(mine) + np.flatnonzero(active[len(mine):]):
                        s = self.channels[controlled[applying[i]]][0]
                        self.sources[s].stream.read(start, x[i])
                        moving_part(x[i], start, self.still[s])
                    weights *= applied[:, :, None, None]
                    convolved = ahead.submit(engine.process, x, index, weights,
                                             workers=workers, active=active,
                                             channels=applying)
                for s in last_reads.pop(k0, ()):
                    self.sources[s].stream.finish()  # read for the last time
                if pending is not None:
                    yield finish(pending)
                pending = (y, k_n, convolved, beside)
            if pending is not None:
                yield finish(pending)
        finally:
            for executor in (pool, ahead):
                if executor is not None:
                    executor.shutdown()


    def _last_reads(self, K, n_blocks, first_block, last_block, static):
        """The chunk (its first block) in which each source is read for the
        last time: {chunk: [source, ...]}.  A channel of ``static`` (a fixed
        filter beside the time-varying engine) reads its source's chunk and
        the one before (while ``last_block >= k0 - K``), the others the chunk
        and a block before (while ``last_block >= k0 - 1``)."""
        last = {}
        static = set(static)
        final = (n_blocks - 1) // K * K
        for c, (s, _, _) in enumerate(self.channels):
            if first_block[c] > last_block[c]:
                continue  # never sounds: never read
            reach = last_block[c] + (K if c in static else 1)
            last[s] = max(last.get(s, 0), min(reach // K * K, final))
        chunks = {}
        for s, k0 in last.items():
            chunks.setdefault(k0, []).append(s)
        return chunks

    def _input_blocks(self, block):
        """First and last engine block of each channel's input that may be
        non-zero, with a block of margin each side, shape (C,) each.

        A source is silent outside ``[stream.start, stream.length)``; a
        delayed channel reads it up to ``max_delay`` samples later,
        through an interpolator ``MARGIN`` samples wide.  A channel that
        never sounds gets an empty range (first > last).
        """
        first = np.empty(len(self.channels), dtype=np.int64)
        last = np.empty(len(self.channels), dtype=np.int64)
        for c, (s, ear, _) in enumerate(self.channels):
            stream = self.sources[s].stream
            lo, hi = stream.start, stream.length
            if ear == STATIC and self.gates[c] is not None:
                lo, hi = max(lo, self.gates[c][0]), min(hi, self.gates[c][1])
            elif ear != STATIC:
                lo, hi = moving_span(lo, hi, self.still[s])  # the moving engine's part
            if ear in (0, 1) and hi > lo:
                lo, hi = lo - MARGIN, hi + int(np.ceil(self.max_delay)) + MARGIN
            if hi <= lo:
                first[c], last[c] = 1, 0
            else:
                first[c], last[c] = lo // block - 1, (hi - 1) // block + 1
        return first, last

    def _fixed_chunks(self):
        """:meth:`chunks` when no filter changes: one fixed filter per channel.

        Without control data the chunks do not depend on each other (each
        takes the block before it from the signals), so they are rendered
        on all cores at once, a few ahead of the consumer.
        """
        from collections import deque
        from concurrent.futures import ThreadPoolExecutor

        B = self.engine_block_size
        n_taps = self.n_taps
        first = self.table.shape[0]
        engine = FixedConvolver(self.static_filters[[row - first for _, _, row in self.channels]],
                                 B + n_taps - 1, self.dtype)
        n_blocks = -(-self.n_samples // B)
        K = max(1, STATIC_CHUNK_SAMPLES // B)

        def piece(k0, x, on):
            y = engine.process(x, workers=1, active=on)
            n = min((x.shape[1] // B - 1) * B, self.n_samples - k0 * B)
            return _frames(y, n)

        # a chunk reads (and transforms) only the sources that may sound in
        # its window (a block before it and its own), and a source's stream
        # lets go of its samples after its last window
        first_block, last_block = self._input_blocks(B)
        finished = self._last_reads(K, n_blocks, first_block, last_block, ())
        workers = self.threads
        with ThreadPoolExecutor(workers) as pool:
            pending = deque()
            for k0 in range(0, n_blocks, K):
                # the sources are read in order, here; the convolutions run
                # in the pool
                k_n = min(K, n_blocks - k0)
                on = (first_block <= k0 + k_n - 1) & (last_block >= k0 - 1)
                x = np.empty((len(self.channels), (k_n + 1) * B), dtype=self.dtype)
                for c in np.flatnonzero(on):
                    self.sources[self.channels[c][0]].stream.read((k0 - 1) * B, x[c])
                for s in finished.pop(k0, ()):
                    self.sources[s].stream.finish()  # read for the last time
                pending.append(pool.submit(piece, k0, x, on))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
