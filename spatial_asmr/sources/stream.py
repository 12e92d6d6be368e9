"""Source signals: audio files and generators placed on the scene's time line.

:class:`SourceStream` makes the mono signal of one scene source in bounded
chunks, for renders of any length; :func:`source_signal` is the same signal
as one array.  :func:`read_mono` reads a whole file and :func:`fade` applies
the raised-cosine fades of a scene source.

The signal of a source is built in this order, on samples at the render
rate:

1. the sound: a generator's output (see
   :func:`spatial_asmr.generators.generate_chunks`), or the file resampled
   with soxr (very high quality) and cut to ``trim``;
2. ``loop``: the sound repeated up to the scene end (and cut there);
3. raised-cosine fades over the whole, looped sound;
4. ``gain_db``;
5. ``start``: leading silence.
"""

__all__ = ["SourceStream", "read_mono", "source_signal", "fade"]

import operator

import numpy as np

from .sounds import FileSound, GeneratedSound, read_mono

LOOP_IN_MEMORY = 2 ** 20
"""int : longest looped sound (samples) held in memory and repeated.

Longer loops are decoded (or generated) again for every repetition, which
costs time instead of memory: 2**20 float32 samples are 4 MiB.
"""

LOOP_CHUNK = 2 ** 16
"""int : samples per chunk when an in-memory loop is repeated."""


# -- fades ----------------------------------------------------------------------------


def _ramp(index, n):
    # The fade-in gain at the samples `index` of an n-sample ramp; the values
    # are elementwise those of fade()'s whole ramp, so chunked fades match it.
    return 0.5 * (1 - np.cos(np.pi * (index + 0.5) / n))


def fade(signal, sample_rate, fade_in=0.0, fade_out=0.0):
    """Raised-cosine fade-in and fade-out, in place.

    Sample ``j`` of an ``n``-sample fade-in is scaled by
    ``0.5 (1 - cos(pi (j + 0.5) / n))``; the fade-out is its mirror image.
    Each fade is cut to the signal's length.

    Parameters
    ----------
    signal : ndarray, shape (n,)
        Modified in place.
    sample_rate : int
        Hz.
    fade_in, fade_out : float, optional
        Fade lengths in seconds, ``round(seconds * sample_rate)`` samples.

    Returns
    -------
    signal : ndarray, shape (n,)
        The same array.
    """
    for seconds, reverse in ((fade_in, False), (fade_out, True)):
        n = min(int(round(seconds * sample_rate)), len(signal))
        if n <= 0:
            continue
        ramp = _ramp(np.arange(n), n)
        if reverse:
            signal[len(signal) - n:] *= ramp[::-1]
        else:
            signal[:n] *= ramp
    return signal


# -- the stream -----------------------------------------------------------------------


def _cyclic(sound, start, end):
    """``sound[i % len(sound)]`` for ``start <= i < end``, by slices (a view where it can)."""
    length = len(sound)
    lo = start % length
    if lo + end - start <= length:
        return sound[lo:lo + end - start]
    pieces = [sound[lo:]]
    left = end - start - (length - lo)
    while left > 0:
        pieces.append(sound[:min(left, length)])
        left -= length
    return np.concatenate(pieces)


class SourceStream:
    """The mono signal of one scene source on the scene's time line, made in bounded chunks.

    The samples equal those of :func:`source_signal` (the same arithmetic
    in the same order, chunk by chunk).  They are made lazily, in chunks of
    at most one generator segment
    (:data:`spatial_asmr.generators.SEGMENT_SECONDS`), :data:`FILE_BLOCK`
    frames of a file (resampled) or :data:`LOOP_CHUNK` samples of an
    in-memory loop, as reads ask for them.

    Parameters
    ----------
    spec : spatial_asmr.scene.SourceSpec
        The source: a file or a generator, with ``start``, ``trim``,
        ``loop``, fades and ``gain_db``.
    sample_rate : int
        Render rate in Hz.
    scene_duration : float, optional
        Seconds; needed for ``loop`` and for generators without a duration.
    dtype : {numpy.float32, numpy.float64}, optional
        Sample type of the signal.  Files are decoded and resampled in it;
        generator output (float64) is cast to it before fading.
    frame_seconds : float, optional
        Frame length of :meth:`frame_peaks`, > 0 and at least one sample.
    read_ahead : bool or concurrent.futures.ThreadPoolExecutor, optional
        Make each chunk on another thread while the one before is read
        (:func:`spatial_asmr.readahead.ahead`): a generator's next segment
        is made while the renderer works on this one.  True: on a thread of
        the stream's own; an executor (one thread): on one that the streams
        of a scene share.  The samples are the same.  Default False.

    Attributes
    ----------
    length : int
        Samples on the scene time line, the leading ``start`` silence
        included; ``len(source_signal(spec, sample_rate, scene_duration,
        dtype))``.
    sample_rate : int
        Hz.
    dtype : numpy.dtype
    frame : int
        Samples per frame of :meth:`frame_peaks`,
        ``round(frame_seconds * sample_rate)``.

    Raises
    ------
    AudioFileError
        If the file is missing, unreadable, or has more than one channel
        and no ``channel`` (or a channel it lacks): at construction.  If it
        contains NaN or infinite samples: from the :meth:`read` that
        decodes them, and only if it gets that far (frames after the end of
        ``trim`` of a resampled file, or outside ``trim`` of a file at the
        render rate, are never decoded).
    GeneratorError
        If the generator's arguments are invalid, at construction.
    ValueError
        If ``dtype`` or ``frame_seconds`` is not allowed, or a generator
        without a duration has no ``scene_duration``.

    Notes
    -----
    Memory is that of one chunk (one generator segment renders with about
    70 bytes of temporaries per sample) plus the samples a read spans,
    never the whole signal; a looped sound of up to :data:`LOOP_IN_MEMORY`
    samples is held once and repeated, longer ones are made again for
    every repetition.
    """

    def __init__(self, spec, sample_rate, scene_duration=None, dtype=np.float32,
                 frame_seconds=0.1, read_ahead=False):
        dtype = np.dtype(dtype)
        if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype is {dtype.name!r} but must be 'float32' or 'float64'")
        frame = round(frame_seconds * sample_rate)
        if not frame_seconds > 0 or frame < 1:
            raise ValueError(f"frame_seconds is {frame_seconds!r} but must be > 0 and at "
                             f"least one sample ({1 / sample_rate:g} s)")
        self.sample_rate = int(sample_rate)
        self.dtype = dtype
        self.frame = frame
        if spec.generator is not None:
            self._sound = GeneratedSound(spec, sample_rate, scene_duration)
        else:
            self._sound = FileSound(spec, sample_rate, dtype)
        self._offset = int(round(spec.start * sample_rate))
        n = self._sound.length
        self._loop = bool(spec.loop and scene_duration is not None and n)
        if self._loop:
            n = max(int(round(scene_duration * sample_rate)) - self._offset, 0)
        self._body_length = n  # the sound after looping: what fades span
        self.length = self._offset + n
        self._fade_in = min(int(round(spec.fade_in * sample_rate)), n)
        self._fade_out = min(int(round(spec.fade_out * sample_rate)), n)
        self._gain = 10.0 ** (spec.gain_db / 20.0) if spec.gain_db else None
        self._chunks = None  # iterator over the faded body, made on the first read
        self._read_ahead = read_ahead or False  # False, True or an executor
        self._buffer = np.zeros(0, dtype)  # body samples from _buffer_start on
        self._buffer_start = 0
        self._last_start = None
        # frame_peaks: complete frames in _peaks, the open one in _open_peak;
        # _produced counts the scene samples accounted for
        self._peaks = []
        self._open_peak = 0.0
        self._produced = 0

    @property
    def start(self):
        """int : First scene sample that may be non-zero (the source's ``start``);
        every sample outside ``[start, length)`` is zero."""
        return self._offset

    # -- reading ----------------------------------------------------------------------

    def read(self, start, out):
        """Fill ``out`` with the samples from ``start`` on.

        Parameters
        ----------
        start : int
            Scene sample of ``out[0]``; may be negative or past the end.
            Must not be below the previous read's ``start`` (windows may
            overlap, but never go back).
        out : ndarray, shape (m,)
            Receives samples ``[start, start + m)``, zeros outside
            ``[0, length)``.

        Returns
        -------
        out : ndarray, shape (m,)
            The same array.

        Raises
        ------
        ValueError
            If ``start`` is below the previous read's or ``out`` is not 1-D.
        AudioFileError
            If the file has NaN or infinite samples among those decoded for
            this read.
        """
        start = operator.index(start)
        if getattr(out, "ndim", None) != 1:
            raise ValueError(f"out has shape {np.shape(out)} but must be 1-D")
        if self._last_start is not None and start < self._last_start:
            raise ValueError(f"start is {start} but must be >= {self._last_start}, the "
                             f"previous read's start (a stream only goes forward)")
        self._last_start = start
        m = len(out)
        # the body (sound after `start` silence) samples this window covers
        a = min(max(start - self._offset, 0), self._body_length)
        b = min(max(start + m - self._offset, 0), self._body_length)
        # leading silence counts as produced once a read reaches it
        self._account_zeros(min(max(start + m, 0), self._offset))
        if a < b:
            self._advance(a, b)
            i = self._offset + a - start
            out[:i] = 0
            out[i:i + b - a] = self._buffer[a - self._buffer_start:b - self._buffer_start]
            out[i + b - a:] = 0
        else:
            out[:] = 0
        return out

    def finish(self):
        """Let go of the samples held and the sound's state (a generator's
        segment, an open file): the reader will read no more of the body.

        A renderer calls it after a source's last read, so that a long
        scene's many sources that have ended hold no memory.  A later read
        gets zeros outside the body only.
        """
        self._buffer = self._buffer[:0]
        if self._chunks is not None:
            close = getattr(self._chunks, "close", None)  # (once: then it is empty)
            if close is not None:
                close()
            self._chunks = iter(())

    def _advance(self, a, b):
        # Drop body samples before `a` (no later read needs them) and make
        # samples up to `b`, so that the buffer holds at least [a, b).
        skip = a - self._buffer_start
        if skip >= len(self._buffer):
            self._buffer_start += len(self._buffer)
            self._buffer = self._buffer[:0]
        else:
            self._buffer = self._buffer[skip:]
            self._buffer_start = a
        end = self._buffer_start + len(self._buffer)
        if end >= b:
            return
        if self._chunks is None:
            self._account_zeros(self._offset)
            self._chunks = self._faded()
            if self._read_ahead:
                from ..readahead import ahead

                shared = None if self._read_ahead is True else self._read_ahead
                self._chunks = ahead(self._chunks, pool=shared)
        pieces = [self._buffer] if len(self._buffer) else []
        while end < b:
            chunk = next(self._chunks)
            self._account(chunk)
            # chunks wholly before `a` (a read that skipped ahead) are not kept
            if end + len(chunk) > a:
                if end < a:
                    chunk = chunk[a - end:]
                    self._buffer_start = a
                    pieces = []
                elif not pieces:
                    self._buffer_start = end
                pieces.append(chunk)
            end += len(chunk)
        self._buffer = pieces[0] if len(pieces) == 1 else np.concatenate(pieces)

    # -- the body: sound, loop, fades, gain ------------------------------------------

    def _body(self):
        # The looped sound, chunk by chunk (in the stream's dtype or, for
        # generators, float64), exactly _body_length samples.
        n = self._body_length
        if not self._loop:
            yield from self._sound.chunks()
            return
        if self._sound.length <= LOOP_IN_MEMORY:
            # np.resize repeats the sound cyclically: sample i is sound[i % L]
            sound = np.concatenate([chunk.astype(self.dtype, copy=False)
                                    for chunk in self._sound.chunks()])
            for position in range(0, n, LOOP_CHUNK):
                yield _cyclic(sound, position, min(position + LOOP_CHUNK, n))
            return
        position = 0
        while position < n:
            for chunk in self._sound.chunks():
                chunk = chunk[:n - position]
                position += len(chunk)
                yield chunk
                if position >= n:
                    return

    def _faded(self):
        # fade() and source_signal()'s gain, chunk by chunk and in the same
        # order (fade-in, fade-out, gain), on the same dtypes.  Each chunk is
        # first copied to the stream's dtype (as source_signal casts a
        # generator's float64 output), since sound chunks may be views of
        # held data.
        n, n_in, n_out = self._body_length, self._fade_in, self._fade_out
        position = 0
        for chunk in self._body():
            chunk = np.array(chunk, dtype=self.dtype)
            m = len(chunk)
            if position < n_in:
                k = min(m, n_in - position)
                chunk[:k] *= _ramp(np.arange(position, position + k), n_in)
            if n_out and position + m > n - n_out:
                k = max(n - n_out - position, 0)
                # the mirrored ramp: body sample i has fade-in index n - 1 - i
                chunk[k:] *= _ramp(n - 1 - np.arange(position + k, position + m), n_out)
            if self._gain is not None:
                chunk *= self._gain
            position += m
            yield chunk

    # -- frame peaks ------------------------------------------------------------------

    def _account_zeros(self, end):
        # Count scene samples [_produced, end) as produced silence.
        p = self._produced
        if end <= p:
            return
        frame = self.frame
        if p % frame:
            # zeros do not raise the open frame's peak; they may close it
            p = min(p - p % frame + frame, end)
            if p % frame == 0:
                self._peaks.append(np.array([self._open_peak]))
                self._open_peak = 0.0
        full = (end - p) // frame
        if full:
            self._peaks.append(np.zeros(full))
            p += full * frame
        if p < end:
            self._open_peak = 0.0
        self._produced = end

    def _account(self, chunk):
        # Fold the peaks of `chunk`, the scene samples from _produced on.
        frame, p, m = self.frame, self._produced, len(chunk)
        i = 0
        if p % frame:
            i = min(frame - p % frame, m)
            if i:
                self._open_peak = max(self._open_peak, _peak(chunk[:i]))
            if (p + i) % frame == 0:
                self._peaks.append(np.array([self._open_peak]))
                self._open_peak = 0.0
        full = (m - i) // frame
        if full:
            frames = chunk[i:i + full * frame].reshape(full, frame)
            self._peaks.append(np.maximum(frames.max(axis=1), -frames.min(axis=1))
                               .astype(np.float64))
            i += full * frame
        if i < m:
            self._open_peak = _peak(chunk[i:])
        self._produced = p + m

    def frame_peaks(self):
        """Peak magnitude of every frame made so far.

        Frame ``k`` covers scene samples ``[k F, (k + 1) F)``,
        ``F = round(frame_seconds * sample_rate)`` (:attr:`frame`).  Samples
        count as made once a read has reached them or they were decoded
        for one (chunks run ahead of reads); the leading silence counts
        once a read reaches it.  After the last sample has been read there
        are ``ceil(length / F)`` frames.

        Returns
        -------
        peaks : ndarray, shape (n_frames,)
            ``max |x|`` per frame, in the stream's dtype; the last frame
            may be partly made (the peak of its samples so far).
        """
        peaks = self._peaks + ([np.array([self._open_peak])] if self._produced % self.frame
                               else [])
        if not peaks:
            return np.zeros(0, self.dtype)
        return np.concatenate(peaks).astype(self.dtype)


def _peak(x):
    return float(max(x.max(), -x.min())) if len(x) else 0.0


# -- whole signals --------------------------------------------------------------------


def source_signal(spec, sample_rate, scene_duration=None, dtype=np.float64):
    """The mono signal of a scene source, on the scene's time line.

    File or generator, then ``trim`` (files), ``loop`` (repeated up to the
    scene end), fades over the whole sound, ``gain_db``, and ``start``
    (leading silence): the whole of a :class:`SourceStream`.

    Parameters
    ----------
    spec : SourceSpec
    sample_rate : int
    scene_duration : float, optional
        Seconds; needed for ``loop`` and for generators without a duration.
    dtype : {numpy.float64, numpy.float32}, optional
        Sample type of the result.

    Returns
    -------
    signal : ndarray, shape (n,)
        Sample 0 at the scene start.
    """
    stream = SourceStream(spec, sample_rate, scene_duration, dtype)
    return stream.read(0, np.empty(stream.length, stream.dtype))
