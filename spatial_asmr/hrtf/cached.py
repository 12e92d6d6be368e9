"""Where the disk cache keeps a preprocessed HRTF set (light: no numpy).

The entry of a SOFA file at a sample rate is keyed by the file's content
hash and the rate (:func:`spatial_asmr.cache.key`), so an edited file or a
new version of the package is preprocessed again.
"""

__all__ = ["file_digest", "entry", "is_preprocessed", "PREPROCESSING"]

from .. import cache
from ..errors import HrtfError

PREPROCESSING = "soxr VHQ; minimum phase: cepstrum, n_fft next_fast_len(64 n); onsets: 8x"
"""str : What preprocessing does, part of the cache key: change it with the method, so
that sets preprocessed the old way are not read back (the version changes only at
releases)."""


def file_digest(path):
    """SHA-256 of a SOFA file; :class:`HrtfError` if it cannot be read."""
    try:
        return cache.file_hash(path)
    except OSError as exc:
        raise HrtfError(f"HRTF file {str(path)!r} cannot be read: "
                         f"{exc.strerror or exc}") from None


def entry(digest, sample_rate):
    """Cache key and file of the preprocessed set of a file's digest at a rate."""
    key = cache.key("hrtf", digest, sample_rate=float(sample_rate), method=PREPROCESSING)
    return key, cache.entry_path("hrtf", key, ".npz")


def is_preprocessed(path, sample_rate):
    """Whether the disk cache holds the preprocessed set of a SOFA file at a rate.

    Parameters
    ----------
    path : str or pathlib.Path
        An existing SOFA file.
    sample_rate : float

    Returns
    -------
    bool
    """
    return entry(file_digest(path), sample_rate)[1].is_file()
