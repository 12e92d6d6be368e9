"""The sounds a source plays, as chunks: a file decoded and resampled block by block,
or a generator's output segment by segment.

:func:`read_mono` reads a whole file at the render rate.
"""

__all__ = ["FileSound", "GeneratedSound", "read_mono", "resampled_length", "FILE_BLOCK"]

from pathlib import Path

import numpy as np

from ..checks import must_be
from ..errors import AudioFileError

FILE_BLOCK = 2 ** 16
"""int : frames decoded from a file at a time.

Large enough that the per-block overhead of libsndfile, soxr and Python is
negligible, small enough (0.5 MiB of float64 per channel) to bound memory.
"""


# -- reading whole files --------------------------------------------------------------


def read_mono(path, sample_rate, channel=None, dtype=np.float64):
    """Read a mono audio file and resample it to ``sample_rate``.

    Parameters
    ----------
    path : str or pathlib.Path
        Any format libsndfile reads (WAV, FLAC, OGG, ...).
    sample_rate : int
        Target rate in Hz; resampled with soxr (very high quality) if needed.
    channel : int, optional
        Channel to take from a multichannel file; without it the file must
        be mono.
    dtype : {numpy.float64, numpy.float32}, optional
        Sample type of the result (the file is decoded straight to it).

    Returns
    -------
    signal : ndarray, shape (n,)

    Raises
    ------
    AudioFileError
        If the file is missing, unreadable, has more than one channel, or
        contains NaN or infinite samples.
    """
    import soundfile

    path = Path(path)
    _check_file(path)
    try:
        data, rate = soundfile.read(str(path), dtype=np.dtype(dtype).name, always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise AudioFileError(f"{path}: cannot be read as audio ({exc})") from None
    _check_channel(path, channel, data.shape[1])
    signal = data[:, channel or 0]
    if rate != sample_rate and len(signal):
        import soxr

        signal = soxr.resample(signal, rate, sample_rate, quality="VHQ")
    if not np.isfinite(signal).all():
        raise AudioFileError(f"{path}: contains NaN or infinite samples")
    return np.ascontiguousarray(signal)


def _check_file(path):
    if not path.is_file():
        raise AudioFileError(f"audio file {str(path)!r} does not exist")


def _check_channel(path, channel, channels):
    if channel is not None:
        if not 0 <= channel < channels:
            raise AudioFileError(f"{path}: " + must_be(
                "channel", channel, f"below {channels} (the file's channel count)", show=str))
    elif channels != 1:
        raise AudioFileError(f"{path}: has {channels} channels but must be mono (1 channel)")


def resampled_length(frames, in_rate, out_rate):
    """Number of samples soxr makes from a whole signal.

    Parameters
    ----------
    frames : int
        Input length in samples.
    in_rate, out_rate : int
        Hz.

    Returns
    -------
    n : int
        ``floor(frames * out_rate / in_rate + 0.5)``, the length of
        ``soxr.resample`` (and of a flushed ``soxr.ResampleStream``), as
        measured for soxr 1.1 over lengths 0 to 300007 and rate pairs
        between 8 and 96 kHz in both directions; ``frames`` if the rates
        are equal.
    """
    if in_rate == out_rate:
        return frames
    # the same double arithmetic as libsoxr's
    return int(frames * out_rate / in_rate + 0.5)


# -- sounds as chunks -----------------------------------------------------------------


class GeneratedSound:
    """A generator's output as float64 chunks (restartable)."""

    def __init__(self, spec, sample_rate, scene_duration):
        from ..generators import generate_chunks

        name, seed, duration, params = spec.generator
        if duration is None:
            if scene_duration is None:
                raise ValueError(must_be("scene_duration", scene_duration,
                                         f"given for source {spec.name!r}, a generator "
                                         "without a duration"))
            duration = max(scene_duration - spec.start, 0.0)
        self._arguments = (name, float(duration), int(sample_rate))
        self._seed = seed
        self._params = params
        # validate now: errors belong to construction, not to the first read
        self._first = generate_chunks(*self._arguments, seed=seed, **params)
        self.length = round(float(duration) * int(sample_rate))

    def chunks(self):
        """Iterate over the whole sound, from its first sample."""
        from ..generators import generate_chunks

        first, self._first = self._first, None
        if first is None:
            first = generate_chunks(*self._arguments, seed=self._seed, **self._params)
        return first


class FileSound:
    """The trimmed, resampled sound of a file, as chunks (restartable)."""

    def __init__(self, spec, sample_rate, dtype):
        import soundfile

        self.path = Path(spec.file)
        _check_file(self.path)
        try:
            with soundfile.SoundFile(str(self.path)) as f:
                frames, rate, channels = f.frames, f.samplerate, f.channels
        except (RuntimeError, soundfile.LibsndfileError) as exc:
            raise AudioFileError(f"{self.path}: cannot be read as audio ({exc})") from None
        _check_channel(self.path, spec.channel, channels)
        self._channel = spec.channel or 0
        self._channels = channels
        self._rate = rate
        self._sample_rate = int(sample_rate)
        self._dtype = dtype
        self._frames = frames
        total = resampled_length(frames, rate, sample_rate)
        lo, hi = 0, total
        if spec.trim is not None:
            # trim is in seconds of the resampled time line, with slice semantics
            lo, hi = (int(round(t * sample_rate)) for t in spec.trim)
            lo, hi, _ = slice(lo, hi).indices(total)
            hi = max(hi, lo)
        self._lo, self._hi = lo, hi
        self.length = hi - lo

    def chunks(self):
        """Iterate over the whole trimmed sound, from its first sample."""
        if self.length == 0:
            return iter(())
        if self._rate == self._sample_rate:
            return self._blocks(self._lo, self._hi)
        return self._resampled()

    def _blocks(self, begin, end):
        # Decoded blocks of file frames [begin, end), checked for NaN and inf.
        import soundfile

        with soundfile.SoundFile(str(self.path)) as f:
            if begin:
                f.seek(begin)
            position = begin
            while position < end:
                count = min(FILE_BLOCK, end - position)
                block = f.read(count, dtype=self._dtype.name, always_2d=True)
                if len(block) == 0:
                    break
                block = np.ascontiguousarray(block[:, self._channel])
                if not np.isfinite(block).all():
                    raise AudioFileError(f"{self.path}: contains NaN or infinite samples")
                position += len(block)
                yield block
        # fewer frames than the header announced: the missing ones are silent
        yield from _zeros(end - position, self._dtype)

    def _resampled(self):
        # soxr.resample is a flushed soxr stream over the whole signal, so a
        # ResampleStream fed block by block gives the same samples; the file is
        # resampled from its start (a resampler has state) and the output cut
        # to [lo, hi) on the way.
        import soxr

        stream = soxr.ResampleStream(self._rate, self._sample_rate, 1, dtype=self._dtype.name,
                                     quality="VHQ")
        position = 0  # output samples made so far
        consumed = 0  # file frames fed to the resampler
        lo, hi = self._lo, self._hi
        # _blocks gives exactly _frames frames, so the last block is known
        # without decoding ahead
        blocks = self._blocks(0, self._frames)
        for block in blocks:
            consumed += len(block)
            y = stream.resample_chunk(block, last=consumed >= self._frames)
            if not np.isfinite(y).all():
                raise AudioFileError(f"{self.path}: contains NaN or infinite samples")
            a, b = max(lo - position, 0), min(hi - position, len(y))
            position += len(y)
            if a < b:
                yield y[a:b]
            if position >= hi:
                break
        blocks.close()
        yield from _zeros(hi - max(position, lo), self._dtype)


def _zeros(n, dtype):
    # n >= 0 silent samples in blocks, however many a broken header promised
    for start in range(0, n, FILE_BLOCK):
        yield np.zeros(min(FILE_BLOCK, n - start), dtype)
