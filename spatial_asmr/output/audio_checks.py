"""Checks of the audio arguments of the meters and the limiter: chunks, rates, levels.

Each raises :class:`~spatial_asmr.errors.ArgumentError` naming the argument.
"""

__all__ = ["check_chunk", "check_audio", "check_channels", "check_rate", "check_db",
           "BLOCK", "MAX_RATE", "MAX_LOOKAHEAD_MS", "MAX_DB"]


import numpy as np

from ..checks import check_array, check_integer, check_number
from ..errors import ArgumentError

# Whole arrays are fed to the streaming classes in blocks of this many
# samples, which bounds the oversampled temporaries (4 x block x channels).
BLOCK = 1 << 16


MAX_RATE = 384000  # Hz
MAX_LOOKAHEAD_MS = 1000.0  # bounds the limiter's window (4 x rate x look-ahead points)
MAX_DB = 200.0  # levels and gains in dB: 10 ** (dB / 20) stays far from overflow


def check_chunk(chunk, channels):
    """``chunk`` as a float64 array of shape (n, channels), finite."""
    chunk = check_array("chunk", chunk, ArgumentError)
    if chunk.ndim == 1 and channels == 1:
        chunk = chunk[:, None]
    if chunk.ndim != 2 or chunk.shape[1] != channels:
        raise ArgumentError(f"chunk has shape {chunk.shape} but must be (n, {channels})")
    return np.ascontiguousarray(chunk)


def check_audio(audio, mono=True):
    """A whole signal as a float64 array of shape (n, channels); (n,) is mono."""
    audio = check_array("audio", audio, ArgumentError)
    if audio.ndim == 1 and mono:
        audio = audio[:, None]
    if audio.ndim != 2 or audio.shape[1] < 1:
        allowed = "(n,) or (n, channels)" if mono else "(n, channels)"
        raise ArgumentError(f"audio has shape {audio.shape} but must be {allowed}, "
                             "channels >= 1")
    return audio


def check_channels(channels, most=None):
    channels = check_integer("channels", channels, ArgumentError, "an integer >= 1",
                             lambda n: n >= 1)
    if most is not None and channels > most:
        raise ArgumentError(f"channels is {channels} but must be at most {most}")
    return channels


def check_rate(sample_rate, lowest=0):
    """Hz, > ``lowest`` and at most 384 kHz."""
    return check_number("sample_rate", sample_rate, ArgumentError,
                        f"> {lowest} and <= {MAX_RATE} Hz",
                        lambda rate: lowest < rate <= MAX_RATE)


def check_db(name, value, unit):
    return check_number(name, value, ArgumentError,
                        f"finite, in [{-MAX_DB:g}, {MAX_DB:g}] {unit}",
                        lambda db: abs(db) <= MAX_DB)
