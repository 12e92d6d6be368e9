"""Source signals: audio files read and resampled to the render rate."""

__all__ = ["read_mono", "source_signal", "fade"]

from pathlib import Path as _Path

import numpy as _np

from .errors import AudioFileError as _AudioFileError


def read_mono(path, sample_rate, channel=None, dtype=_np.float64):
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
        If the file is missing, unreadable or has more than one channel.
    """
    import soundfile

    path = _Path(path)
    if not path.is_file():
        raise _AudioFileError(f"audio file {str(path)!r} does not exist")
    try:
        data, rate = soundfile.read(str(path), dtype=_np.dtype(dtype).name, always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise _AudioFileError(f"{path}: cannot be read as audio ({exc})") from None
    if channel is not None:
        if not 0 <= channel < data.shape[1]:
            raise _AudioFileError(f"{path}: channel is {channel} but must be below "
                                  f"{data.shape[1]} (the file's channel count)")
    elif data.shape[1] != 1:
        raise _AudioFileError(
            f"{path}: has {data.shape[1]} channels but must be mono (1 channel)")
    signal = data[:, channel or 0]
    if rate != sample_rate and len(signal):
        import soxr

        signal = soxr.resample(signal, rate, sample_rate, quality="VHQ")
    if not _np.isfinite(signal).all():
        raise _AudioFileError(f"{path}: contains NaN or infinite samples")
    return _np.ascontiguousarray(signal)


def fade(signal, sample_rate, fade_in=0.0, fade_out=0.0):
    """Raised-cosine fade-in and fade-out (seconds), in place; returns it."""
    for seconds, reverse in ((fade_in, False), (fade_out, True)):
        n = min(int(round(seconds * sample_rate)), len(signal))
        if n <= 0:
            continue
        ramp = 0.5 * (1 - _np.cos(_np.pi * (_np.arange(n) + 0.5) / n))
        if reverse:
            signal[len(signal) - n:] *= ramp[::-1]
        else:
            signal[:n] *= ramp
    return signal


def source_signal(spec, sample_rate, scene_duration=None, dtype=_np.float64):
    """The mono signal of a scene source, on the scene's time line.

    File or generator, then ``trim`` (files), ``loop`` (repeated up to the
    scene end), fades over the whole sound, ``gain_db``, and ``start``
    (leading silence).

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
    if spec.generator is not None:
        from .generators import generate

        name, seed, duration, params = spec.generator
        if duration is None:
            duration = max(scene_duration - spec.start, 0.0)
        sound = generate(name, float(duration), int(sample_rate), seed=seed, **params)
    else:
        sound = read_mono(spec.file, sample_rate, spec.channel, dtype)
        if spec.trim is not None:
            lo, hi = (int(round(t * sample_rate)) for t in spec.trim)
            sound = sound[lo:hi]
    start = int(round(spec.start * sample_rate))
    if spec.loop and scene_duration is not None and len(sound):
        total = max(int(round(scene_duration * sample_rate)) - start, 0)
        sound = _np.resize(sound, total)
    # every branch above made a new array (or a view of one): fade in place
    sound = fade(_np.asarray(sound, dtype=dtype), sample_rate, spec.fade_in,
                 spec.fade_out)
    if spec.gain_db:
        sound *= 10.0 ** (spec.gain_db / 20.0)
    if start == 0:
        return sound
    return _np.concatenate([_np.zeros(start, sound.dtype), sound])
