"""Mastering a stream of mix chunks: normalise in two passes, limit, meter.

:class:`StreamMastering` is what :func:`~spatial_asmr.render_to_file` puts
between the renderer and the writer.  With ``output.normalize`` its first
pass meters the raw mix (true peak or BS.1770 loudness) while keeping it in
a :class:`Spool` (a float temporary file beside the output, at the render's
precision, so nothing is lost and nothing is rendered twice); the second
pass reads it back, applies the gain, limits and meters the result.  Where
the limiter takes loudness away from a loudness target, the mix is
mastered again from the spool with the gain raised by the shortfall.

The first pass meters both the true peak and the loudness of the raw mix.
Where the gained mix's true peak stays below the limiter's ceiling (the
usual case for a loudness target of -23 to -16 LUFS), the limiter would
pass every sample bit for bit, so the second pass only applies the gain: the
finished mix's true peak is the raw one times the gain, and its loudness
the raw step energies times the gain squared (:meth:`LoudnessMeter.integrated`
with ``gain_db``), with no filtering or oversampling of the same signal again.
"""

__all__ = ["StreamMastering", "Spool", "db", "READ_BACK"]

import bisect
import math
import os
import tempfile
from pathlib import Path

import numpy as np

from .files import writing
from .mastering import CEILING_DB, Limiter, LimiterReport, LoudnessMeter, TruePeakMeter
from .truepeak import PieceIndex, indexed_true_peak

READ_BACK = 1 << 16
"""int : Frames per chunk read back from the spool."""


def db(linear):
    """Decibels of a linear level; minus infinity for 0."""
    return 20.0 * math.log10(linear) if linear > 0 else -math.inf


class Spool:
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
            self._starts = []  # the frame each piece begins at
            return
        folder = output.parent if str(output.parent) else Path(".")
        with writing(output):
            fd, path = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".mix", dir=folder)
        self.path = path
        self._file = os.fdopen(fd, "w+b")

    def write(self, chunk):
        chunk = np.ascontiguousarray(chunk, dtype=self.dtype)
        if self._pieces is not None:
            self._starts.append(self.frames)
            self._pieces.append(chunk)
        else:
            with writing(self._output):
                self._file.write(memoryview(chunk).cast("B"))  # no copy
        self.frames += len(chunk)

    def read(self, start, stop):
        """Frames ``[start, stop)`` of what was written, shape (stop - start, 2)."""
        if self._pieces is not None:
            first = bisect.bisect_right(self._starts, start) - 1
            last = bisect.bisect_left(self._starts, stop)
            parts = [piece[max(start - at, 0):stop - at] for piece, at in
                     zip(self._pieces[first:last], self._starts[first:last], strict=True)]
            return parts[0] if len(parts) == 1 else np.concatenate(parts)
        frame = 2 * self.dtype.itemsize
        with writing(self._output):
            self._file.flush()
            self._file.seek(start * frame)
            data = self._file.read((stop - start) * frame)
        return np.frombuffer(data, dtype=self.dtype).reshape(-1, 2)

    def chunks(self):
        if self._pieces is not None:
            yield from self._pieces
            return
        with writing(self._output):
            self._file.flush()
        self._file.seek(0)
        frame = 2 * self.dtype.itemsize
        while True:
            data = self._file.read(READ_BACK * frame)
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


class _Gained:
    """The meters of a mix that only a gain changed: what its own meters would read."""

    def __init__(self, peak, loudness, gain_db):
        self.peak = peak
        self._loudness = loudness
        self._gain_db = gain_db

    def integrated(self):
        return self._loudness.integrated(self._gain_db)


class StreamMastering:
    """Normalise and limit a stream of mix chunks; see the module docstring.

    Parameters
    ----------
    chunks : iterable of ndarray, shape (n, 2)
        The raw mix (read once).
    sample_rate : int
    normalize : spatial_asmr.scene.Normalize or None
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

    ATTEMPTS = 6
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
        self._raw = None  # the first pass's meters (true peak, loudness)
        self._tried = []  # (gain, loudness) of each attempt that missed

    def measure(self):
        """First pass (with ``normalize``): meter the mix into the spool."""
        if self.normalize is None:
            return
        kind, target = self.normalize.kind, self.normalize.target
        if kind not in ("peak", "loudness"):
            raise ValueError(f"normalize is {kind!r} but must be 'peak' or 'loudness'")
        index, loudness = PieceIndex(), LoudnessMeter(self.sample_rate)
        self._store = Spool(self._spool, self._dtype)
        for chunk in self._chunks:
            # one contiguous copy at the mix's precision: what the spool
            # keeps and the meters read
            chunk = np.ascontiguousarray(chunk, dtype=self._store.dtype)
            self._store.write(chunk)
            index.add(chunk)
            loudness.add(chunk)
        # the true peak from the spool: only the pieces that can hold it
        # are oversampled (TruePeakMeter's value, bit for bit)
        peak = indexed_true_peak(index.peaks(), self._store.read, self._store.frames)
        self._raw = peak, loudness
        integer = self.ceiling is not None
        if kind == "peak":
            if peak > 0:
                self.gain_db = target - db(peak)
            self.ceiling = min(target, CEILING_DB) if integer else target
        else:
            measured = loudness.integrated()
            if math.isfinite(measured):
                self.gain_db = target - measured
            if self.normalize.ceiling is not None:
                # a platform preset's ceiling, whatever the output's format
                ceiling = float(self.normalize.ceiling)
                self.ceiling = min(ceiling, CEILING_DB) if integer else ceiling

    def _settled(self):
        # the gained raw mix stays below the ceiling by more than rounding:
        # the limiter (which sees the same oversampled levels as the meter)
        # would leave every sample as it is
        if self._raw is None:
            return False
        if self.ceiling is None:
            return True
        ceiling = 10.0 ** (self.ceiling / 20.0)
        return self._raw[0] * 10.0 ** (self.gain_db / 20.0) < ceiling * (1.0 - 1e-9)

    def chunks(self):
        """The finished mix, metered (true peak and loudness), float64."""
        source = self._store.chunks() if self._store is not None else self._chunks
        gain = 10.0 ** (self.gain_db / 20.0)
        if self._settled():
            self.peak = _Gained(self._raw[0] * gain, self._raw[1], self.gain_db)
            self.loudness = self.peak
            self.limiter = LimiterReport(False, 0.0, 0.0)
            for chunk in source:
                # float64 and gained in one pass
                yield (np.multiply(chunk, gain, dtype=np.float64) if self.gain_db
                       else np.asarray(chunk, dtype=np.float64))
            return
        self.peak, self.loudness = TruePeakMeter(), LoudnessMeter(self.sample_rate)
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
        mix falls short of a loudness target.  The gain is then raised and
        the mix mastered again from the spool (no new render), until it is
        within :attr:`TOLERANCE_LU`: by the shortfall the first time, then
        by the secant through the last two attempts (each decibel of gain
        gains less than a decibel of loudness once the limiter works: a
        brush 10 cm from the head brought to -14 LUFS, whose limiter takes up
        to 15 dB, was still 0.2 LU short after eight attempts of adding the
        shortfall alone, and within 0.01 LU after five with the secant).
        """
        if self.normalize is None or self.normalize.kind != "loudness" or \
                not self.limiter.engaged:
            return False
        measured = self.loudness.integrated()
        miss = self.normalize.target - measured
        if not math.isfinite(measured) or abs(miss) <= self.TOLERANCE_LU:
            return False
        self._tried.append((self.gain_db, measured))
        step = miss
        if len(self._tried) >= 2:
            (g0, l0), (g1, l1) = self._tried[-2:]
            if g1 != g0:
                # loudness per decibel of gain, at least 0.05 (a step of at most 20 x)
                slope = max((l1 - l0) / (g1 - g0), 0.05)
                step = miss / slope
        self.gain_db += min(step, 24.0)
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
