"""The streaming look-ahead true-peak limiter.
"""

__all__ = ["Limiter", "LimiterReport", "limit"]

import math
from dataclasses import dataclass

import numba
import numpy as np

from ..checks import check_number
from ..errors import ArgumentError
from .audio_checks import (
    BLOCK,
    MAX_LOOKAHEAD_MS,
    check_audio,
    check_channels,
    check_chunk,
    check_db,
    check_rate,
)
from .truepeak import FACTOR, TAPS, Oversampled


@dataclass(frozen=True)
class LimiterReport:
    """What the limiter did.

    Attributes
    ----------
    engaged : bool
    max_reduction_db : float
        Largest gain reduction in dB (0 if not engaged).
    reduced_seconds : float
        Time during which the gain was reduced by more than 0.1 dB.
    """

    engaged: bool
    max_reduction_db: float
    reduced_seconds: float


# A one-pole release approaches its target only asymptotically; aiming it at
# 1 / (e^5 - 1) above the averaged gain and clipping there ends it within 5
# time constants from any depth: (g + d - g0) e^(-t/tau) = d at t <= tau
# ln((1 + d) / d) = 5 tau.  The shape is otherwise the one-pole's (its slope
# grows by d / (1 - g0), under 1.4 % for reductions up to 6 dB).
_RELEASE_OVERSHOOT = 1.0 / math.expm1(5.0)

# A gain that changes from sample to sample shapes the reconstructed signal
# between the samples: a sample's gain is right at the points around it, but
# its neighbours within the filter's reach carry other gains.  The overs this
# leaves are largest for dense material limited hard (white and HF-tilted
# noise 5 to 34 dB over: up to 0.018 dB by TruePeakMeter, 0.041 dB by
# resample_poly at 16x); aiming 0.02 dB low wherever the limiter acts keeps
# them within the 0.01 dB tolerance.  Below the ceiling the gain stays 1.
_AIM = 10.0 ** (-0.02 / 20.0)


@numba.njit("void(float64[::1], float64, float64, float64, float64, int64[::1], "
            "float64[::1], int64[::1], float64[::1], float64[::1], float64[::1])", cache=True,
            nogil=True)
def _envelope(level, ceiling, aim, release, overshoot, ints, floats, queue_index, queue_value,
              window, out):  # pragma: no cover - compiled
    # out[k] is the gain at level point (position - L + 1); ints = [L,
    # position, head, tail, non-unit count], floats = [sum of 1 - window
    # minimum, release state].  (1) The minimum of the needed gain over the
    # L points ending here (a monotonic queue, at most L entries, held in
    # rings of L slots); (2) its mean over the last L points: at point j - L + 1
    # all L minima averaged include point j - L + 1, so the mean is at or
    # below the gain needed there, while the attack becomes a ramp; (3) the
    # release.  Where the level is over the ceiling the gain aims a little
    # below it (aim), for the overs that applying the gain per sample
    # creates between the points.  The sum is kept as a deficit below unity together with the
    # count of non-unit minima: once the window holds only ones the deficit
    # is reset to exactly 0, so the gain returns to exactly 1.0 and the
    # signal passes bit for bit.
    size = ints[0]
    position, head, tail, non_unit = ints[1], ints[2], ints[3], ints[4]
    deficit, state = floats[0], floats[1]
    for k in range(level.shape[0]):
        needed = 1.0
        if level[k] > ceiling:
            needed = aim / level[k]
        while tail > head and queue_value[(tail - 1) % size] >= needed:
            tail -= 1
        queue_index[tail % size] = position
        queue_value[tail % size] = needed
        tail += 1
        if queue_index[head % size] <= position - size:
            head += 1
        minimum = queue_value[head % size]
        slot = position % size
        old = window[slot]
        window[slot] = minimum
        deficit += (1.0 - minimum) - (1.0 - old)
        if minimum != 1.0:
            non_unit += 1
        if old != 1.0:
            non_unit -= 1
        if non_unit == 0:
            deficit = 0.0
        mean = 1.0 - deficit / size
        target = mean + overshoot
        state = min(mean, target + release * (state - target))
        out[k] = state
        position += 1
    ints[1], ints[2], ints[3], ints[4] = position, head, tail, non_unit
    floats[0], floats[1] = deficit, state


class _Envelope:
    """Streaming gain envelope over a level stream; output lags by ``L - 1`` points."""

    def __init__(self, ceiling, size, release):
        self.ceiling = ceiling
        self.release = release
        self.ints = np.array([size, 0, 0, 0, 0], dtype=np.int64)
        self.floats = np.array([0.0, 1.0])
        self.queue_index = np.zeros(size, dtype=np.int64)
        self.queue_value = np.ones(size)
        self.window = np.ones(size)  # before the start the needed gain is 1

    def gains(self, level):
        ints = self.ints
        if len(level) and ints[4] == 0 and self.floats[1] == 1.0 and \
                level.max() <= self.ceiling:
            # At rest (every minimum in the window 1, the release done) and
            # nothing over the ceiling: every gain is 1, and the state
            # after the points is what _envelope would leave: one queue
            # entry, the last point, needing 1.
            size, head = ints[0], ints[2]
            ints[1] += len(level)
            ints[3] = head + 1
            self.queue_index[head % size] = ints[1] - 1
            self.queue_value[head % size] = 1.0
            self.floats[0] = 0.0
            return np.ones(len(level))
        out = np.empty(len(level))
        _envelope(level, self.ceiling, self.ceiling * _AIM, self.release, _RELEASE_OVERSHOOT,
                  self.ints, self.floats, self.queue_index, self.queue_value, self.window, out)
        return out


class Limiter:
    """Look-ahead true-peak limiter, streaming.

    The gain needed at each oversampled point, ``min(1, ceiling / level)``
    (the level is the largest channel's sharpened oversampled magnitude, as
    :class:`TruePeakMeter` sees it), becomes a smooth envelope that (1)
    takes the minimum over a look-ahead window of ``L`` points ending at the
    point, so the gain is down before the peak arrives, (2) is averaged over
    the same ``L`` points, which turns the attack into a ramp while staying
    at or below the needed gain at the peak (each of the ``L`` averaged
    minima already includes the peak), and (3) recovers with a one-pole
    release (which ends within 5 time constants, see below).  Each sample's
    gain is the smallest envelope value within half a sample of it.  The
    signal is delayed to line up with the envelope; :meth:`flush` returns
    the rest, so that the output has the input's length and timing.

    All state (filter history, the window's queue and running mean, the
    release, the delay line) is carried across chunks and each output sample
    is computed the same way whatever the chunking, so the output does not
    depend on how the input is cut.  A signal whose true peak stays at or
    below the ceiling passes bit for bit (gain exactly 1.0).

    Parameters
    ----------
    sample_rate : float
        Hz.
    ceiling_db : float
        Largest true peak allowed, dBTP.
    lookahead_ms : float
        Attack (look-ahead) time, ms.
    release_ms : float
        Release time constant, ms.  The release aims slightly above unity
        and is clipped there, so it is complete ``lookahead_ms + 5 *
        release_ms`` after the last peak.
    channels : int
        Channels of the chunks; one gain for all (the image does not shift).
    """

    def __init__(self, sample_rate, ceiling_db=-1.0, lookahead_ms=2.0, release_ms=80.0,
                 channels=2):
        self.sample_rate = check_rate(sample_rate)
        ceiling_db = check_db("ceiling_db", ceiling_db, "dBTP")
        lookahead_ms = check_number("lookahead_ms", lookahead_ms, ArgumentError,
                                    f"> 0 and <= {MAX_LOOKAHEAD_MS:g} ms",
                                    lambda ms: 0 < ms <= MAX_LOOKAHEAD_MS)
        release_ms = check_number("release_ms", release_ms, ArgumentError, "> 0 ms",
                                  lambda ms: ms > 0)
        self.channels = check_channels(channels)
        self.ceiling = 10.0 ** (ceiling_db / 20.0)
        rate = FACTOR * self.sample_rate
        self._size = max(1, int(lookahead_ms * 1e-3 * rate))
        release = math.exp(-1.0 / (release_ms * 1e-3 * rate))
        self._stream = Oversampled(self.channels)
        self._envelope = _Envelope(self.ceiling, self._size, release)
        # the envelope stream, from absolute point index self._first on
        self._gains = np.zeros(0)
        self._first = -(self._size - 1)
        self._pending = np.zeros((0, self.channels))  # the delay line
        self._taken = 0   # input samples received
        self._given = 0   # output samples returned
        self._smallest = 1.0
        self._reduced = 0
        self._flushed = False

    def _feed(self, chunk):
        for start in range(0, max(len(chunk), 1), BLOCK):
            # stretches that cannot reach the ceiling are not oversampled
            level = self._stream.levels(chunk[start:start + BLOCK], below=self.ceiling)
            self._gains = np.concatenate([self._gains, self._envelope.gains(level)])

    def _emit(self):
        # sample n sits at level point 4 n + T/2 * 4 + 1; its gain is the
        # smallest envelope value at the points within half a sample
        centre = FACTOR * self._given + FACTOR * (TAPS // 2) + 1 - self._first
        # the last sample's points must all be there: centre + 2 + 4 (count - 1)
        available = len(self._gains) - centre - 3
        count = min(len(self._pending), available // FACTOR + 1) if available >= 0 else 0
        if count == 0:
            return np.zeros((0, self.channels))
        # no gain below 1 among the points these samples read (gains never
        # exceed 1): they pass as they are, without gathering the points
        if self._gains[centre - 2:centre + 3 + FACTOR * (count - 1)].min() >= 1.0:
            gain = np.ones(1)
            out = self._pending[:count]
        else:
            points = centre - 2 + FACTOR * np.arange(count)
            gain = self._gains[points]
            for d in range(1, 5):
                gain = np.minimum(gain, self._gains[points + d])
            out = self._pending[:count] * gain[:, None]
        self._pending = self._pending[count:]
        drop = centre - 2 + FACTOR * count
        self._gains = self._gains[drop:]
        self._first += drop
        self._given += count
        self._smallest = min(self._smallest, float(gain.min()))
        self._reduced += int(np.count_nonzero(gain < 10.0 ** (-0.1 / 20.0)))
        return out

    def process(self, chunk):
        """Limit the next chunk.

        Parameters
        ----------
        chunk : ndarray, shape (n, channels)
            Any ``n >= 0``, float32 or float64.

        Returns
        -------
        ndarray, shape (m, channels), float64
            The next ``m`` output samples; ``m`` lags the input by the
            look-ahead (about ``lookahead_ms`` plus 10 samples) at first.
        """
        if self._flushed:
            raise RuntimeError("process is called after flush but must come before it")
        chunk = check_chunk(chunk, self.channels)
        if len(chunk) == 0:
            return np.zeros((0, self.channels))
        self._pending = np.concatenate([self._pending, chunk])
        self._taken += len(chunk)
        self._feed(chunk)
        return self._emit()

    def flush(self):
        """End the stream.

        Returns
        -------
        ndarray, shape (m, channels), float64
            The remaining output: in all, the output has as many samples as
            the input, aligned with it.
        """
        if self._flushed:
            return np.zeros((0, self.channels))
        self._flushed = True
        # zeros after the end carry the filter's ringing, then let the
        # look-ahead window run out (needed gain 1 beyond the signal)
        self._feed(np.zeros((TAPS // 2 + 2 + self._size // FACTOR + 2, self.channels)))
        return self._emit()

    @property
    def report(self):
        """LimiterReport : What the limiter did, so far; complete after :meth:`flush`."""
        if self._smallest >= 1.0:
            return LimiterReport(False, 0.0, 0.0)
        return LimiterReport(True, float(-20.0 * math.log10(self._smallest)),
                             self._reduced / self.sample_rate)


def limit(audio, sample_rate, ceiling_db=-1.0, lookahead_ms=2.0, release_ms=80.0):
    """True-peak limit a whole signal (see :class:`Limiter`).

    Parameters
    ----------
    audio : ndarray, shape (n, channels)
    sample_rate : float
        Hz.
    ceiling_db : float
        Largest true peak allowed, dBTP.
    lookahead_ms, release_ms : float
        Attack (look-ahead) time and release time constant, ms.

    Returns
    -------
    limited : ndarray, shape (n, channels)
    report : LimiterReport
    """
    audio = check_audio(audio, mono=False)
    limiter = Limiter(sample_rate, ceiling_db, lookahead_ms, release_ms, audio.shape[1])
    parts = [limiter.process(audio[start:start + BLOCK])
             for start in range(0, len(audio), BLOCK)]
    parts.append(limiter.flush())
    return np.concatenate(parts), limiter.report
