"""Source signals: audio files read and resampled to the render rate."""

__all__ = ["read_mono"]

from pathlib import Path as _Path

import numpy as _np

from .errors import AudioFileError as _AudioFileError


def read_mono(path, sample_rate):
    """Read a mono audio file and resample it to ``sample_rate``.

    Parameters
    ----------
    path : str or pathlib.Path
        Any format libsndfile reads (WAV, FLAC, OGG, ...).
    sample_rate : int
        Target rate in Hz; resampled with soxr (very high quality) if needed.

    Returns
    -------
    signal : ndarray, shape (n,)
        float64.

    Raises
    ------
    AudioFileError
        If the file is missing, unreadable or has more than one channel.
    """
    import soundfile

    path = _Path(path)
    if not path.is_file():
        raise _AudioFileError(f"audio file {str(path)!r} does not exist")
    try:
        data, rate = soundfile.read(str(path), dtype="float64", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise _AudioFileError(f"{path}: cannot be read as audio ({exc})") from None
    if data.shape[1] != 1:
        raise _AudioFileError(
            f"{path}: has {data.shape[1]} channels but must be mono (1 channel)")
    signal = data[:, 0]
    if rate != sample_rate and len(signal):
        import soxr

        signal = soxr.resample(signal, rate, sample_rate, quality="VHQ")
    if not _np.isfinite(signal).all():
        raise _AudioFileError(f"{path}: contains NaN or infinite samples")
    return _np.ascontiguousarray(signal)
