"""Writing rendered audio: atomic, streamed, never clipping silently.

The file is written under a temporary name in the destination folder and
renamed when complete, so an existing file is never left half-written or
replaced by a broken one.  Integer output is quantised here (TPDF dither for
16-bit, seeded so the same scene gives the same bytes); if any sample would
exceed full scale the write is abandoned and an :class:`OutputError` reports
the peak in dBFS and the gain change that avoids clipping.
"""

__all__ = ["write_audio", "check_destination", "output_bytes", "Quantiser", "WriteReport",
           "BIT_DEPTHS", "FORMATS"]

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ArgumentError, OutputError
from .files import atomic_path, cannot_write, writing

BIT_DEPTHS = (16, 24, "float")
FORMATS = {".wav": "WAV", ".flac": "FLAC"}
_SUBTYPES = {16: "PCM_16", 24: "PCM_24", "float": "FLOAT"}
_DITHER_SEED = 20260


WAV_LIMIT = 0xFFFFFFFF
"""int : Largest WAV file, bytes: RIFF sizes are 32-bit.  A longer ``.wav``
is written as RF64 (EBU Tech 3306, the 64-bit WAV that ffmpeg, sox,
libsndfile and the common editors read)."""


@dataclass(frozen=True)
class WriteReport:
    """What :func:`write_audio` wrote.

    Attributes
    ----------
    path : pathlib.Path
    n_samples : int
        Frames written.
    peak : float
        Largest absolute sample before quantisation (linear, 1 = full scale).
    container : {'WAV', 'RF64', 'FLAC'}
        The file format written.
    """

    path: Path
    n_samples: int
    peak: float
    container: str = "WAV"

    @property
    def peak_dbfs(self):
        """Peak in dB relative to full scale."""
        return 20 * np.log10(self.peak) if self.peak > 0 else -np.inf


def _parse_bit_depth(bit_depth):
    if bit_depth in ("16", "24"):
        bit_depth = int(bit_depth)
    if bit_depth not in BIT_DEPTHS:
        from ..checks import must_be

        raise OutputError(must_be("bit_depth", bit_depth, "16, 24 or 'float'", show=repr))
    return bit_depth


class Quantiser:
    """Float samples to the integers a file holds, chunk by chunk.

    16-bit samples get TPDF dither (the difference of two uniform values,
    one LSB each) from a fixed seed, drawn in sample order, so the same
    audio gives the same integers however it is cut into chunks.

    Parameters
    ----------
    bit_depth : {16, 24}
    """

    def __init__(self, bit_depth):
        self.bits = int(bit_depth)
        self.scale = float(2 ** (self.bits - 1))
        self._rng = np.random.default_rng(_DITHER_SEED)

    def __call__(self, block):
        """Quantise one chunk.

        Parameters
        ----------
        block : ndarray, shape (n, 2)
            Full scale is 1.

        Returns
        -------
        q : ndarray of int, shape (n, 2)
            Integer sample values in ``[-scale, scale - 1]``.
        overflow : bool
            Whether any value had to be clipped.
        """
        x = np.asarray(block, dtype=np.float64) * self.scale
        if self.bits == 16:
            # both uniform values of a sample are drawn together, sample
            # after sample, so the dither does not depend on the chunking
            r = self._rng.random(x.shape + (2,))
            x = x + (r[..., 0] - r[..., 1])
        q = np.round(x)
        overflow = bool((q > self.scale - 1).any() or (q < -self.scale).any())
        return np.clip(q, -self.scale, self.scale - 1).astype(np.int32), overflow


def _to_file(q, bits):
    if bits == 24:
        return q << 8  # soundfile takes the top 24 bits of int32
    return q.astype(np.int16)


def _clear_peak_timestamp(path):
    """Zero the write time libsndfile stamps into a float WAV's PEAK chunk.

    The chunk (version, timestamp, then a value and position per channel)
    records when the file was written, so two renders of one scene would
    differ in those four bytes; without them the file is a pure function
    of the scene.
    """
    with open(path, "r+b") as fh:
        head = fh.read(12)
        if head[:4] not in (b"RIFF", b"RF64") or head[8:12] != b"WAVE":
            return
        offset = 12
        while True:
            fh.seek(offset)
            chunk = fh.read(8)
            if len(chunk) < 8:
                return
            size = int.from_bytes(chunk[4:], "little")
            if chunk[:4] == b"PEAK":
                fh.seek(offset + 12)  # after the chunk header and the version
                fh.write(b"\0\0\0\0")
                return
            if chunk[:4] == b"data":
                return  # the PEAK chunk comes before the data
            offset += 8 + size + (size & 1)




def check_destination(path, bit_depth):
    """Check an output path and bit depth before any work is done.

    Parameters
    ----------
    path : str or pathlib.Path
    bit_depth : {16, 24, 'float', '16', '24'}

    Returns
    -------
    path : pathlib.Path
    bit_depth : {16, 24, 'float'}
    fmt : {'WAV', 'FLAC'}

    Raises
    ------
    OutputError
        Unknown suffix or bit depth, float FLAC, a missing folder, or one
        in which no file can be made.
    """
    from ..checks import check_path

    path = check_path("path", path, OutputError, "the path of a .wav or .flac file")
    bit_depth = _parse_bit_depth(bit_depth)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise OutputError(f"output file {str(path)!r} has suffix {path.suffix!r} but "
                           f"must be one of {', '.join(FORMATS)}")
    if fmt == "FLAC" and bit_depth == "float":
        raise OutputError(f"output file {str(path)!r}: FLAC stores integers only; "
                           "use bit depth 16 or 24, or a .wav file for float")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise cannot_write(path, "its folder does not exist")
    if path.is_dir():
        raise OutputError(f"output file {str(path)!r} is a folder but must be a file")
    with writing(path):  # can a file be made there? (permissions, a read-only disk)
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=folder)
        try:
            os.close(fd)
        finally:  # an interrupt here must not leave the probe behind
            os.unlink(probe)
    return path, bit_depth, fmt


def output_bytes(frames, bit_depth, fmt):
    """Expected size of a stereo output file, bytes.

    Exact for WAV (header included); FLAC is counted at half the WAV
    size, a low estimate (noise-like sounds compress less).

    Parameters
    ----------
    frames : int
    bit_depth : {16, 24, 'float'}
    fmt : {'WAV', 'FLAC'}

    Returns
    -------
    int
    """
    width = {16: 2, 24: 3, "float": 4}[bit_depth]
    size = 2 * width * int(frames) + 128
    return size // 2 if fmt == "FLAC" else size








def _system_reason(tmp):
    """What the system says to one more write at the end of ``tmp``, or None."""
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_APPEND)
    except OSError as exc:
        return exc.strerror
    try:
        os.write(fd, bytes(1 << 16))
        os.fsync(fd)
    except OSError as exc:
        return exc.strerror
    finally:
        os.close(fd)
    return None


def write_audio(path, chunks, sample_rate, bit_depth=24, frames=None):
    """Write chunks of stereo audio to a WAV or FLAC file, atomically.

    Parameters
    ----------
    path : str or pathlib.Path
        Destination; the format follows the suffix (``.wav``, ``.flac``).
    chunks : iterable of ndarray, shape (n, 2)
        Audio in [-1, 1] full scale.
    sample_rate : int
        Hz.
    bit_depth : {16, 24, 'float'}
        16/24-bit integer or 32-bit float (WAV only).
    frames : int, optional
        How many frames the chunks hold.  A ``.wav`` that would be larger
        than :data:`WAV_LIMIT` is then written as RF64; without it, such a
        file is refused when it gets there (a WAV header cannot say its
        size).

    Returns
    -------
    WriteReport

    Raises
    ------
    OutputError
        Unknown format or bit depth, an unwritable destination, or integer
        output that would clip (nothing is written then).
    """
    from ..checks import check_integer

    sample_rate = check_integer("sample_rate", sample_rate, ArgumentError,
                                "an integer number of Hz in [1, 384000]",
                                lambda r: 1 <= r <= 384000)
    if frames is not None:
        frames = check_integer("frames", frames, ArgumentError, "None or an integer >= 0",
                               lambda n: n >= 0)
    path, bit_depth, fmt = check_destination(path, bit_depth)
    if fmt == "WAV" and frames is not None and output_bytes(frames, bit_depth, fmt) > WAV_LIMIT:
        fmt = "RF64"
    largest = (WAV_LIMIT - 128) // (2 * {16: 2, 24: 3, "float": 4}[bit_depth])
    quantise = Quantiser(bit_depth) if bit_depth != "float" else None
    peak, peak_at, n_written, clipped = 0.0, 0, 0, False
    with atomic_path(path) as tmp:
        sink = _Sink(path, tmp, int(sample_rate), _SUBTYPES[bit_depth], fmt)
        try:
            for chunk in chunks:
                chunk = _chunk(chunk)
                if fmt == "WAV" and n_written + len(chunk) > largest:
                    raise OutputError(
                        f"cannot write {path}: a WAV file holds at most {largest} frames "
                        f"({largest / sample_rate / 3600:.2f} h at this rate and bit depth); "
                        "give write_audio the frames (it then writes RF64), or write FLAC")
                if len(chunk):
                    # the first largest sample over the frames (a flat argmax:
                    # a max along rows of two costs ten times as much)
                    flat = np.abs(chunk.reshape(-1))
                    k = int(np.argmax(flat))
                    value = float(flat[k])
                    if value > peak:
                        peak, peak_at = value, n_written + k // chunk.shape[1]
                if bit_depth == "float":
                    sink.write(chunk.astype(np.float32))
                elif not clipped:
                    q, overflow = quantise(chunk)
                    clipped = overflow
                    if not clipped:
                        sink.write(_to_file(q, bit_depth))
                n_written += len(chunk)
        except BaseException:
            sink.abandon()
            raise
        sink.close()
        if bit_depth == "float" and fmt in ("WAV", "RF64"):
            with writing(path):
                _clear_peak_timestamp(tmp)
        if clipped:
            level = 20 * np.log10(peak)
            need = level + (0.1 if bit_depth == 24 else 0.2)
            raise OutputError(
                f"output peak is {level:+.2f} dBFS (at {peak_at / sample_rate:.3f} s) and "
                f"would clip as {bit_depth}-bit integers; lower the level by at least "
                f"{max(need, 0.1):.1f} dB (the sources' gain_db) or write 32-bit float "
                f"(--bit-depth float); {str(path)!r} was not written")
    return WriteReport(path=path, n_samples=n_written, peak=peak, container=fmt)


def _chunk(chunk):
    """A chunk of stereo audio as float64 (n, 2), finite."""
    from ..checks import check_array

    return check_array("chunk", chunk, ArgumentError, shape=("n", 2))


class _Sink:
    """A sound file being written, whose failures name the output and why.

    libsndfile reports a failed write of WAV as "System error" with the
    operating system's reason in the file's own error text; its FLAC
    encoder reports an unrelated error instead.  Where the text is not the
    system's, a small write to the same file asks the system directly.
    """

    def __init__(self, path, tmp, sample_rate, subtype, fmt):
        import soundfile

        self._path = path
        self._tmp = tmp
        self._error = soundfile.LibsndfileError
        self._file = None
        try:
            self._file = soundfile.SoundFile(tmp, "w", samplerate=sample_rate, channels=2,
                                             subtype=subtype, format=fmt)
        except self._error as exc:
            raise self._failure(exc) from None

    def _failure(self, exc):
        import soundfile

        text = ""
        handle = getattr(self._file, "_file", None)
        if handle is not None:
            try:
                text = soundfile._ffi.string(soundfile._snd.sf_strerror(handle)).decode(
                    errors="replace")
            except (AttributeError, TypeError):  # another soundfile's internals
                text = ""
        if text.startswith("System error"):
            reason = text.partition(":")[2].strip(" .") or text
        else:
            reason = _system_reason(self._tmp) or text or getattr(exc, "error_string", "")
        return cannot_write(self._path, reason or str(exc))

    def write(self, frames):
        try:
            self._file.write(frames)
        except self._error as exc:
            raise self._failure(exc) from None

    def close(self):
        try:
            self._file.close()
        except self._error as exc:
            raise self._failure(exc) from None

    def abandon(self):
        """Close after a failure, ignoring what closing says."""
        try:
            self._file.close()
        except (self._error, OSError):
            pass
