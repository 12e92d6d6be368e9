"""Scene rendering: orchestrates signals, trajectories, HRTF lookup, delay
lines and the convolution engine.  No DSP is done here.

Per source and block boundary the renderer evaluates the position, looks up
the HRTF (measurement indices and barycentric weights per ear), the onset
delay per ear and the distance gain.  A source whose position never changes
becomes one input channel whose filter (HRTF blend, delay folded in exactly,
gain) is fixed; a moving source becomes one channel per ear, each read
through its own smoothly moving fractional delay line, whose filter is the
per-block blend of time-aligned responses.

Blocks are processed in chunks (``CHUNK_SAMPLES`` per chunk), so memory does
not grow with the length of the track.
"""

__all__ = ["render", "render_chunks", "RenderPlan", "DISTANCE_GAIN_MIN"]

import os as _os
from dataclasses import dataclass as _dataclass

import numpy as _np

from .convolution import PartitionedConvolver as _PartitionedConvolver
from .delay import HALF_LENGTH as _HALF_LENGTH
from .delay import delay_signal as _delay_signal
from .hrtf import load_hrtf as _load_hrtf
from .signals import read_mono as _read_mono
from .trajectory import keyframe_positions as _keyframe_positions
from .trajectory import static_positions as _static_positions

CHUNK_SAMPLES = 16384
#: Sources closer than this (metres) get the gain of this distance.
DISTANCE_GAIN_MIN = 0.1


def _distance_gain(distance, reference, enabled):
    if not enabled:
        return _np.ones_like(distance)
    return reference / _np.maximum(distance, DISTANCE_GAIN_MIN)


@_dataclass
class _Source:
    signal: _np.ndarray
    gain: float
    position: tuple | None
    keyframes: tuple | None

    def positions(self, times):
        if self.position is not None:
            return _static_positions(self.position, times)
        return _keyframe_positions(self.keyframes, times)


class RenderPlan:
    """Everything prepared to render a scene: HRTF, signals, engine layout.

    Parameters
    ----------
    scene : Scene
        A validated scene (see :func:`spatial_asmr.load_scene`).
    dtype : numpy dtype, optional
        Processing precision (float64 by default).
    hrtf : HrtfSet, optional
        Use this set instead of loading ``scene.hrtf``.
    """

    def __init__(self, scene, dtype=_np.float64, hrtf=None):
        self.scene = scene
        self.sample_rate = sr = int(scene.sample_rate)
        self.block_size = B = int(scene.render.block_size)
        self.interpolation = scene.render.interpolation
        self.hrtf = hrtf if hrtf is not None else _load_hrtf(scene.hrtf, sr)
        self.dtype = _np.dtype(dtype)
        self.sources = [
            _Source(_read_mono(s.file, sr) * 10.0 ** (s.gain_db / 20.0), 1.0,
                    s.position, s.trajectory)
            for s in scene.sources]
        table, delays = self.hrtf.tables(self.interpolation)
        self._delay_table = delays
        # One channel per static source, two per moving one (left, right).
        static_filters = []
        self.channels = []  # (source index, ear or None, filter row or None)
        for i, src in enumerate(self.sources):
            if src.position is not None:
                row = table.shape[0] + len(static_filters)
                static_filters.append(self._static_filter(src.position))
                self.channels.append((i, None, row))
            else:
                self.channels.append((i, 0, None))
                self.channels.append((i, 1, None))
        n_taps = max([table.shape[-1]] + [f.shape[-1] for f in static_filters])
        full = _np.zeros((table.shape[0] + len(static_filters), 2, n_taps))
        full[:table.shape[0], :, :table.shape[-1]] = table
        for k, f in enumerate(static_filters):
            full[table.shape[0] + k, :, :f.shape[-1]] = f
        self.filters = full
        self.tail = n_taps + int(_np.ceil(delays.max())) + _HALF_LENGTH + 1
        longest = max((len(s.signal) for s in self.sources), default=0)
        if scene.duration is not None:
            self.n_samples = int(round(scene.duration * sr))
        else:
            self.n_samples = longest + self.tail
        self.n_blocks = -(-self.n_samples // B)

    def _reference_distance(self, distance):
        d = self.hrtf.distances
        return d[_np.argmin(_np.abs(_np.log(_np.asarray(distance)[..., None] / d)), axis=-1)]

    def _static_filter(self, position):
        az, el, dist = position
        gain = _distance_gain(_np.array([dist]), self._reference_distance([dist]),
                              self.scene.render.distance_gain)[0]
        return gain * self.hrtf.interpolate([az], [el], [dist], self.interpolation)[0]

    def _control(self, src, boundaries):
        """Lookup for boundary indices: index, weights (Q, 3) and delays (Q, 2)."""
        times = _np.maximum(boundaries, 0) * (self.block_size / self.sample_rate)
        pos = src.positions(times)
        index, weights = self.hrtf.lookup(pos[:, 0], pos[:, 1], pos[:, 2], self.interpolation)
        gain = _distance_gain(pos[:, 2], self._reference_distance(pos[:, 2]),
                              self.scene.render.distance_gain)
        delays = _np.einsum("qk,qke->qe", weights, self._delay_table[index])
        return index, weights * gain[:, None], delays

    def chunks(self):
        """Yield the rendered output in chunks.

        Yields
        ------
        audio : ndarray, shape (n, 2)
            Consecutive pieces of the output (left, right).
        """
        B = self.block_size
        K = max(1, CHUNK_SAMPLES // B)
        C = len(self.channels)
        engine = _PartitionedConvolver(self.filters, B, C, self.dtype)
        workers = _os.cpu_count() or 1
        done = 0
        for k0 in range(0, self.n_blocks, K):
            k_n = min(K, self.n_blocks - k0)
            x = _np.zeros((C, (k_n + 1) * B), dtype=self.dtype)
            index = _np.zeros((C, k_n + 1, 2, 3), dtype=_np.int64)
            weights = _np.zeros((C, k_n + 1, 2, 3), dtype=self.dtype)
            start = (k0 - 1) * B
            boundaries = _np.arange(k0 - 1, k0 + k_n + 1)
            previous = None
            for c, (s, ear, row) in enumerate(self.channels):
                src = self.sources[s]
                if ear is None:
                    _copy_segment(src.signal, start, x[c])
                    index[c, :, :, 0] = row
                    weights[c, :, :, 0] = 1.0
                    continue
                if previous is None or previous[0] != s:
                    previous = (s, self._control(src, boundaries))
                idx, w, delays = previous[1]
                x[c] = _delay_signal(src.signal, start, (k_n + 1) * B, delays[:, ear], B)
                index[c, :, ear] = idx[1:]
                weights[c, :, ear] = w[1:]
            y = engine.process(x, index, weights, workers=workers)
            n = min(k_n * B, self.n_samples - done)
            done += n
            yield y[:, :n].T


def _copy_segment(signal, start, out):
    lo = max(start, 0)
    hi = min(start + len(out), len(signal))
    if hi > lo:
        out[lo - start:hi - start] = signal[lo:hi]


def render_chunks(scene, dtype=_np.float64):
    """Render a scene piece by piece (see :meth:`RenderPlan.chunks`)."""
    return RenderPlan(scene, dtype).chunks()


def render(scene, dtype=_np.float64):
    """Render a scene to binaural audio.

    Parameters
    ----------
    scene : Scene
        From :func:`spatial_asmr.load_scene`.
    dtype : numpy dtype, optional
        Processing precision.

    Returns
    -------
    audio : ndarray, shape (n_samples, 2)
        Left ear in column 0.
    sample_rate : int
        Hz.
    """
    plan = RenderPlan(scene, dtype)
    pieces = list(plan.chunks())
    audio = _np.concatenate(pieces, axis=0) if pieces else _np.zeros((0, 2))
    return audio, plan.sample_rate
