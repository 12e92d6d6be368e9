"""True peak, streamed: 4x polyphase oversampling (BS.1770-4 annex 2) sharpened by a
parabola through each local maximum.
"""

__all__ = ["TruePeakMeter", "true_peak", "Oversampled", "PieceIndex", "indexed_true_peak",
           "FACTOR", "TAPS"]


import functools

import numba
import numpy as np

from .audio_checks import BLOCK, check_audio, check_channels, check_chunk

# Interpolation filter: a Kaiser-windowed sinc (beta 5, 20 taps per phase),
# cut off at fs/2, the design scipy.signal.resample_poly uses for 4x.  As a
# sinc it vanishes at whole input samples, so phase 0 is the input itself and
# only phases 1..3 (the quarter-sample positions) are computed: 60 MACs per
# input sample and channel.  Each phase is normalised to unit DC gain, so a
# constant reads as itself.
FACTOR = 4
TAPS = 20
_BETA = 5.0
_PHASES = None
SKIP = 2048
"""int : Input samples per piece that :meth:`Oversampled.levels` may skip."""
_FIRST = 4  # pieces indexed_true_peak oversamples before it bounds the rest
_SPAN = 32  # most pieces it reads and oversamples at once (65,536 frames)


def _phases():
    """Phase filters for the positions 1/4, 2/4, 3/4, shape (3, TAPS)."""
    global _PHASES
    if _PHASES is None:
        m = np.arange(FACTOR * TAPS + 1)
        t = (m - FACTOR * TAPS // 2) / FACTOR
        prototype = np.sinc(t) * np.kaiser(len(m), _BETA)
        phases = np.array([prototype[p::FACTOR][:TAPS] for p in range(1, FACTOR)])
        _PHASES = np.ascontiguousarray(phases / phases.sum(axis=1, keepdims=True))
    return _PHASES


# positions per tile of the interpolation kernel: its three phase rows
# (3 x 512 x 8 bytes) stay in the L1 cache while the taps run over them
_TILE = 512


@numba.njit("void(float64[:, ::1], float64[:, ::1], float64[:, ::1])", cache=True, nogil=True)
def _upsample(buffer, phases, out):  # pragma: no cover - compiled
    # out[c, 2 + 4 q + p]: channel c at input time (q + T/2 - 1) + p/4
    # relative to buffer[c, 0] (out[c, :2] are the caller's carried points);
    # the support of position q is buffer[c, q : q + T].  Taps outside,
    # positions inside: the inner loop is an axpy over q that vectorises,
    # while each output still sums its taps in one fixed order, so chunking
    # cannot change a single bit.
    channels = out.shape[0]
    count = (out.shape[1] - 2) // 4
    taps = phases.shape[1]
    rows = np.empty((3, _TILE))
    for c in range(channels):
        x = buffer[c]
        o = out[c]
        for start in range(0, count, _TILE):
            size = min(count - start, _TILE)
            for p in range(3):
                row = rows[p, :size]
                row[:] = 0.0
                for i in range(taps):
                    w = phases[p, i]
                    xs = x[start + taps - 1 - i:start + taps - 1 - i + size]
                    for q in range(size):
                        row[q] += w * xs[q]
            for q in range(size):
                k = 2 + 4 * (start + q)
                o[k] = x[start + q + taps // 2 - 1]
                o[k + 1] = rows[0, q]
                o[k + 2] = rows[1, q]
                o[k + 3] = rows[2, q]


@numba.njit("void(float64[:, ::1], float64[::1])", cache=True, nogil=True, error_model="numpy")
def _levels(over, level):  # pragma: no cover - compiled
    # level[k]: the largest channel magnitude at oversampled point over[:, k + 1].
    # At a local maximum of |y| the parabola through the three points gives
    # the peak between them, b + (a - d)^2 / (8 (2 b - a - d)): for y =
    # cos(theta) sampled every d radians its error is 0.005 dB at d = 22.5
    # deg (fs/4) and 0.03 dB at d = 36 deg (0.4 fs), against 0.17 and 0.44 dB
    # for the grid alone.  The neighbours must share the sign of the maximum,
    # else the parabola would span a zero crossing.  Branch-free, so that it
    # vectorises.
    channels, count = over.shape[0], level.shape[0]
    level[:] = 0.0
    for c in range(channels):
        y = over[c]
        for k in range(count):
            here = y[k + 1]
            s = 1.0 if here >= 0.0 else -1.0
            a = s * y[k]
            b = abs(here)
            d = s * y[k + 2]
            curvature = a - 2.0 * b + d
            peak = (b >= a) & (b >= d) & (a >= 0.0) & (d >= 0.0) & (curvature < 0.0)
            rise = -0.125 * (a - d) * (a - d) / (curvature if peak else -1.0)
            level[k] = max(level[k], b + (rise if peak else 0.0))


@functools.lru_cache(maxsize=1)
def _gain():
    """Largest sum of absolute taps of a phase (at least 1: phase 0 is the input)."""
    return max(1.0, float(np.abs(_phases()).sum(axis=1).max()))


def _piece_bounds(history, state, chunk):
    """Upper bounds on the levels of each :data:`SKIP`-sample piece of ``chunk``.

    An oversampled point is a phase filter over input samples, so it is at
    most ``max |x|`` over its support times the largest sum of absolute taps
    (:func:`_gain`); a piece's points reach back into the piece before
    (the filter history), and its first levels use the two points carried
    from the one before that (``state``).  The parabola through a local
    maximum ``b`` and its neighbours ``a, d`` (both in ``[0, b]``) rises by
    ``(a - d)^2 / (8 (2b - a - d)) <= b / 4``.  So a piece's levels are at
    most 1.25 times the gain times the largest ``|x|`` of it and the two
    pieces before it (``history`` and ``state`` standing for those before
    the chunk).

    Parameters
    ----------
    history : ndarray, shape (channels, TAPS - 1)
    state : ndarray, shape (channels, 2)
    chunk : ndarray, shape (n, channels)

    Returns
    -------
    ndarray, shape (ceil(n / SKIP),)
    """
    n, channels = chunk.shape
    pieces = -(-n // SKIP)
    peaks = np.zeros(pieces + 2)
    peaks[0] = peaks[1] = max(float(np.abs(history).max()),
                              float(np.abs(state).max()) / _gain())
    padded = np.zeros((pieces * SKIP, channels))
    padded[:n] = np.abs(chunk)
    peaks[2:] = padded.reshape(pieces, SKIP * channels).max(axis=1)
    window = np.maximum(np.maximum(peaks[2:], peaks[1:-1]), peaks[:-2])
    return 1.25 * _gain() * window


class Oversampled:
    """The level stream of a multichannel signal: oversampled, peak-sharpened.

    Level ``j`` of the stream belongs to time ``-TAPS/2 + (j - 1)/4`` input
    samples: the stream begins with the filter's reach into the zeros before
    the signal (and one point for the parabola's look-ahead).
    """

    def __init__(self, channels):
        self.channels = channels
        self.history = np.zeros((channels, TAPS - 1))
        self.state = np.zeros((channels, 2))  # the last two oversampled points

    def copy(self):
        other = Oversampled(self.channels)
        other.history = self.history.copy()
        other.state = self.state.copy()
        return other

    def levels(self, chunk, below=None):
        """Levels for ``chunk`` (n, channels) float64: ndarray, shape (4 n,).

        With ``below``, pieces of :data:`SKIP` samples whose levels provably
        all stay at or below it (by :func:`_piece_bounds`) are not
        oversampled: their levels are returned as zeros, and the stream goes
        on exactly as if they had been computed.  A meter that only needs
        levels above its running peak, or a limiter that only needs those
        above its ceiling, skips the quiet stretches this way.
        """
        n = len(chunk)
        if n == 0:
            return np.zeros(0)
        if below is None:
            return self._computed(chunk)
        quiet = _piece_bounds(self.history, self.state, chunk) <= below
        pieces = len(quiet)
        out = []
        p = 0
        while p < pieces:
            q = p
            while q < pieces and quiet[q] == quiet[p]:
                q += 1
            part = chunk[p * SKIP:q * SKIP]
            out.append(self._skipped(part) if quiet[p] else self._computed(part))
            p = q
        return out[0] if len(out) == 1 else np.concatenate(out)

    def _computed(self, chunk):
        n = len(chunk)
        buffer = np.concatenate([self.history, chunk.T], axis=1)
        over = np.empty((self.channels, 2 + FACTOR * n))
        over[:, :2] = self.state
        _upsample(buffer, _phases(), over)
        self.history = np.ascontiguousarray(buffer[:, n:])
        self.state = over[:, -2:].copy()
        level = np.empty(FACTOR * n)
        _levels(over, level)
        return level

    def _skipped(self, chunk):
        # the last two oversampled points carry into the next chunk: those
        # of the last input position, from the same taps
        n = len(chunk)
        buffer = np.concatenate([self.history, chunk.T], axis=1)
        last = np.empty((self.channels, 2 + FACTOR))
        _upsample(np.ascontiguousarray(buffer[:, n - 1:]), _phases(), last)
        self.history = np.ascontiguousarray(buffer[:, n:])
        self.state = last[:, -2:].copy()
        return np.zeros(FACTOR * n)

    def tail(self):
        """Levels of the ringing after the last sample, as if the signal ended here."""
        return self.levels(np.zeros((TAPS // 2 + 1, self.channels)))


class TruePeakMeter:
    """4x oversampled true peak (BS.1770-4 annex 2), fed chunk by chunk.

    The signal is oversampled 4 times with a fixed polyphase FIR (Kaiser
    windowed sinc, 20 taps per phase, the design of ``resample_poly``'s 4x)
    and each local maximum of the oversampled magnitude is sharpened by a
    parabola through its neighbours.  Against independent 16x references
    (48 kHz; checked in ``tests/test_mastering.py`` to 0.05 dB): within
    0.017 dB of ``scipy.signal.resample_poly(x, 16, 1)`` on white noise
    (8 seeds); over ``scipy.signal.resample`` (FFT) at 16x by 0.019 dB on
    faded sines near fs/4 and 0.036 dB near fs/2.5 (the Kaiser filter's
    passband ripple, which resample_poly shares: 0.003 dB against it);
    exact on an isolated click.  On full-band white noise the two references
    themselves differ by up to 0.3 dB: its peaks rest partly on content at
    fs/2, where every practical interpolator's transition band lies and a
    brick wall does not attenuate.  The filter reaches 10
    samples ahead; :attr:`peak` includes the ringing after the last sample
    added, as if the signal ended there, without committing it.

    Parameters
    ----------
    channels : int
        Channels of the chunks.
    """

    def __init__(self, channels=2):
        self.channels = check_channels(channels)
        self._stream = Oversampled(self.channels)
        self._peak = 0.0

    def add(self, chunk):
        """Measure the next chunk.

        Parameters
        ----------
        chunk : ndarray, shape (n, channels)
            Any ``n >= 0``, float32 or float64.
        """
        chunk = check_chunk(chunk, self.channels)
        for start in range(0, len(chunk), BLOCK):
            # blocks that cannot raise the peak are not oversampled
            level = self._stream.levels(chunk[start:start + BLOCK], below=self._peak)
            self._peak = max(self._peak, float(level.max()))

    @property
    def peak(self):
        """float : Linear true peak of everything added so far."""
        return max(self._peak, float(self._stream.copy().tail().max()))


def true_peak(audio):
    """True peak of a whole signal (see :class:`TruePeakMeter`).

    Parameters
    ----------
    audio : ndarray, shape (n, channels) or (n,)

    Returns
    -------
    float
        Linear; 0 for an empty signal.
    """
    audio = check_audio(audio)
    meter = TruePeakMeter(audio.shape[1])
    meter.add(audio)
    return meter.peak


class PieceIndex:
    """The largest sample magnitude of every :data:`SKIP`-sample piece of a stream.

    What a first pass keeps so that :func:`indexed_true_peak` can find the
    true peak afterwards by oversampling only the pieces that can hold it.
    One float per piece (1.4 MB for an hour at 48 kHz).
    """

    def __init__(self):
        self._done = []        # arrays of completed pieces' peaks
        self._open = 0.0       # the piece being filled
        self._filled = 0       # its samples so far
        self.frames = 0

    def add(self, chunk):
        """Index the next chunk, shape (n, channels), float32 or float64."""
        n = len(chunk)
        if n == 0:
            return
        # one flat run of magnitudes, so that each piece's maximum is a
        # reduction over a long contiguous axis (a reduction over the
        # channel axis of every sample costs ten times more)
        width = chunk.shape[1] if chunk.ndim == 2 else 1
        level = np.abs(np.ascontiguousarray(chunk)).reshape(-1)
        self.frames += n
        head = min(SKIP - self._filled, n)
        self._open = max(self._open, float(level[:head * width].max()))
        self._filled += head
        if self._filled < SKIP:
            return
        self._done.append(np.array([self._open]))
        whole = (n - head) // SKIP
        body = level[head * width:(head + whole * SKIP) * width]
        if whole:
            self._done.append(body.reshape(whole, SKIP * width).max(axis=1).astype(np.float64))
        rest = level[(head + whole * SKIP) * width:]
        self._open = float(rest.max()) if len(rest) else 0.0
        self._filled = n - head - whole * SKIP

    def peaks(self):
        """ndarray, shape (ceil(frames / SKIP),): each piece's largest magnitude."""
        parts = self._done + ([np.array([self._open])] if self._filled else [])
        return np.concatenate(parts) if parts else np.zeros(0)


def _span_level(read, frames, channels, a, b):
    """The largest level of the stream at times in pieces ``a .. b - 1``: input
    samples ``[a, b) * SKIP`` (the first piece from the start of the level
    stream, the last to its end, the ringing after the signal included)."""
    lo, hi = a * SKIP, min(b * SKIP, frames)
    first = max(lo - 2 * TAPS, 0)
    last = min(hi + 2 * TAPS, frames)
    x = np.asarray(read(first, last), dtype=np.float64).reshape(-1, channels)
    if last == frames:  # the ringing after the last sample, as TruePeakMeter.peak has it
        x = np.concatenate([x, np.zeros((TAPS // 2 + 1, channels))])
    # from `first` on the filter history is zeros: the signal's own at the
    # start, and more than a filter's reach before `lo` elsewhere, so every
    # level of the span is the streamed meter's, bit for bit.  Level j
    # belongs to time first - TAPS / 2 + (j - 1) / FACTOR.
    levels = Oversampled(channels).levels(np.ascontiguousarray(x))
    start = FACTOR * (lo - first + TAPS // 2) + 1 if a > 0 else 0
    stop = FACTOR * (hi - first + TAPS // 2) + 1 if hi < frames else len(levels)
    return float(levels[start:stop].max()) if stop > start else 0.0


def indexed_true_peak(peaks, read, frames, channels=2):
    """The true peak of a stream from its :class:`PieceIndex` and random access to it.

    Equal to :attr:`TruePeakMeter.peak` of the same stream (the same levels,
    bit for bit), but only pieces whose levels can exceed the largest level
    found so far are oversampled, the most promising first: a piece's levels
    are at most 1.25 times the phase filters' largest sum of absolute taps
    times the largest magnitude of it and its two neighbours (the filter
    reaches 10 samples, the parabola a quarter of a maximum, see
    :func:`_piece_bounds`).  On a mix whose loud moments are rare (ASMR:
    taps over a quiet bed) that is a few pieces in a hundred.

    Parameters
    ----------
    peaks : ndarray
        :meth:`PieceIndex.peaks` of the stream.
    read : callable
        ``read(start, stop)``: frames ``[start, stop)`` of the stream,
        shape (stop - start, channels).
    frames : int
        Length of the stream.
    channels : int, optional

    Returns
    -------
    float
        Linear.
    """
    if frames == 0:
        return 0.0
    padded = np.concatenate([[0.0], peaks, [0.0]])
    window = np.maximum(np.maximum(padded[:-2], padded[1:-1]), padded[2:])
    bound = 1.25 * _gain() * window
    # the most promising pieces first, then every run of pieces that may
    # still hold more (one oversampling per run: few calls)
    best = 0.0
    first = np.argsort(-bound, kind="stable")[:_FIRST]
    for k in first:
        if bound[k] > best:
            best = max(best, _span_level(read, frames, channels, int(k), int(k) + 1))
    still = bound > best
    still[first] = False  # measured already
    open_ = np.concatenate([[False], still, [False]])
    edges = np.flatnonzero(open_[1:] != open_[:-1])
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        # at most _SPAN pieces a read: a loud, steady mix leaves every piece
        # open, and its run must not be read into memory whole
        for lo in range(int(a), int(b), _SPAN):
            best = max(best, _span_level(read, frames, channels, lo, min(lo + _SPAN, int(b))))
    return best
