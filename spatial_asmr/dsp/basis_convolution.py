"""The basis engine: many moving sources through a fixed set of basis filters.

The exact engine (:class:`~spatial_asmr.dsp.convolution.PartitionedConvolver`)
transforms every moving channel's input, block by block: its cost grows with
a forward FFT per channel and block.  This engine moves the time variance
out of the convolution instead.  With the table's responses written per ear
as ``h = sum_k c_k phi_k`` (:mod:`spatial_asmr.hrtf.basis`), a channel ``x``
with coefficients ``c_k(t)`` gives the ear

    y(t) = sum_k (phi_k * u_k)(t),    u_k(t) = sum_c c_{c,k}(t) x_c(t),

so the channels are only *mixed* into ``K`` basis signals per ear (``u``),
each coefficient moving sample by sample from one block boundary's value to
the next one's along a raised cosine (no crossfade, no second accumulator;
the exact engine's crossfade has the same shape, and a linear ramp, whose
slope jumps at every boundary, measured 23 dB more motion artefacts in
nearest mode and 1.4 dB more in barycentric);
then the ``2 K`` basis signals are convolved with the fixed basis filters in
long overlap-save frames, summed in the frequency domain, one inverse FFT
per ear and frame.  The cost per channel is the mixing (two multiply-adds
per sample and basis filter), whatever the number of blocks; the
convolution's cost does not depend on the number of sources.

It differs from the exact engine where the filter changes: here the
coefficients move at the input (the response in use follows the sound as
it enters), there the output crossfades between the old and the new
filter.  A still source renders through its reconstructed response,
``sum_k c_k phi_k``, exactly.

The kernel computes in float32 whatever the render's precision: the basis
leaves out far more (-25 dB or so of the response energy) than float32
rounding (-150 dB).
"""

__all__ = ["BasisConvolver", "FRAME_FFT"]

import functools

import numba
import numpy as np
from scipy import fft

from .convolution import crossfade_ramp

FRAME_FFT = 8192
"""int : FFT length of the basis convolution's overlap-save frames."""


@functools.lru_cache(maxsize=1)
def _blas():
    """The process's BLAS thread pools (made once numpy's BLAS is loaded)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _mix_blocks(x, a, ramp, u):
    """The channels mixed into the basis channels, coefficients ramped.

    ``u[k, t] = sum_c (a[j, c, k] + (a[j + 1, c, k] - a[j, c, k]) ramp[n]) x[c, t]``
    for ``t = j B + n``: each coefficient goes from one block boundary to
    the next along the ramp, reaching the next at the block's last sample.
    x: (C, T); a: (T / B + 1, C, K); u: (K, T).  The ramp scales samples, so
    it commutes with the sum over channels: ``u_j = A_j^T x_j + ramp *
    (A_{j+1} - A_j)^T x_j``, both one ``(2K, C) @ (C, B)`` product per block,
    batched over the chunk's blocks (BLAS: 1.6 times as fast here as a tiled
    numba loop over the same sums).
    """
    n_ch, n_t = x.shape
    n_k = u.shape[0]
    B = ramp.shape[0]
    J = n_t // B
    blocks = x.reshape(n_ch, J, B).transpose(1, 0, 2)  # (J, C, B), a view
    both = np.empty((J, 2 * n_k, n_ch), dtype=np.float32)
    both[:, :n_k] = a[:J].transpose(0, 2, 1)
    np.subtract(a[1:J + 1].transpose(0, 2, 1), a[:J].transpose(0, 2, 1), out=both[:, n_k:])
    p = np.matmul(both, blocks)  # (J, 2K, B)
    p[:, n_k:] *= ramp
    p[:, :n_k] += p[:, n_k:]
    u[:, :J * B] = p[:, :n_k].transpose(1, 0, 2).reshape(n_k, J * B)


@numba.njit("void(float32[:, :, ::1], int64[:, :, :, ::1], float32[:, :, :, ::1], int64[::1], "
            "int64, float32[:, :, ::1])", cache=True, nogil=True)
def _blend(coefficients, index, weights, rows, ear, out):  # pragma: no cover - compiled
    # out[j, i, :] = sum_b weights[c, j, ear, b] coefficients[index[c, j, ear, b], ear, :]
    # for c = rows[i]: the blend of the table rows' coefficients at boundary j
    n_k = out.shape[2]
    for i in range(rows.shape[0]):
        c = rows[i]
        for j in range(out.shape[0]):
            o = out[j, i]
            o[:] = 0.0
            for b in range(index.shape[3]):
                w = weights[c, j, ear, b]
                if w != 0.0:
                    row = coefficients[index[c, j, ear, b], ear]
                    for k in range(n_k):
                        o[k] += w * row[k]


@numba.njit("void(complex64[:, :, :, ::1], complex64[:, :, ::1], complex64[:, :, ::1])",
            cache=True, nogil=True, fastmath=True)
def _spectral_sum(spectra, h, out):  # pragma: no cover - compiled
    # out[e, f, :] = sum_k spectra[e, k, f, :] h[e, k, :], k in order
    n_e, n_k, n_f, n_b = spectra.shape
    for e in range(n_e):
        for f in range(n_f):
            o = out[e, f]
            o[:] = 0.0
            for k in range(n_k):
                s = spectra[e, k, f]
                g = h[e, k]
                for b in range(n_b):
                    o[b] += s[b] * g[b]


class BasisConvolver:
    """Time-varying convolution of many channels to two ears through a basis.

    :meth:`process` takes what :meth:`PartitionedConvolver.process
    <spatial_asmr.dsp.convolution.PartitionedConvolver.process>` takes (the
    channels' input, the table rows and weights at each block boundary) and
    returns the two ears, so a render can use either engine.

    Parameters
    ----------
    basis : spatial_asmr.hrtf.basis.HrtfBasis
        Basis filters of the table the rows index, and their coefficients.
    block_size : int
        Samples between the block boundaries of the control data.
    n_channels : int
    dtype : numpy dtype
        Precision of the output (the work is float32).
    frame_fft : int
        FFT length of the overlap-save frames (longer than the filters).
    """

    def __init__(self, basis, block_size, n_channels, dtype=np.float32, frame_fft=FRAME_FFT):
        self.basis = basis
        self.block_size = B = int(block_size)
        self.n_channels = int(n_channels)
        self.dtype = np.dtype(dtype)
        taps = basis.n_taps
        self.frame_fft = max(int(frame_fft), fft.next_fast_len(2 * taps, real=True))
        # how many blocks back a response reaches (the plan's tail rule)
        self.n_partitions = -(-taps // B)
        self._spectra = {}  # the basis filters' spectra per FFT length
        self._history = np.zeros((2, basis.size, taps - 1), dtype=np.float32)
        # the exact engine's crossfade shape: raised cosine, 1 at the block's last sample
        self._ramp = crossfade_ramp(B, np.float32)
        self._pool = None

    def _threads(self):
        from concurrent.futures import ThreadPoolExecutor

        if self._pool is None:
            self._pool = ThreadPoolExecutor(2)
        return self._pool

    def _coefficients(self, index, weights, rows, ear):
        """Blended coefficients of some channels at the boundaries, (K + 1, C_e, K)."""
        out = np.empty((index.shape[1], len(rows), self.basis.size), dtype=np.float32)
        _blend(self._table, index, weights, rows, ear, out)
        return out

    def process(self, x, index, weights, workers=None, active=None, channels=None):
        """Convolve one chunk.

        Parameters
        ----------
        x : ndarray, shape (n_channels, (K + 1) * B)
            Input: the block before the chunk, then the chunk's ``K`` blocks
            (only the chunk's blocks are used: coefficients apply at the input).
        index : ndarray of int, shape (n_channels, K + 1, 2, n_blend)
            Filter-table rows blended at each block boundary, per ear.
        weights : ndarray, shape (n_channels, K + 1, 2, n_blend)
            Blend weights (gains folded in); all zero where a channel does
            not feed an ear.
        workers : int, optional
            Threads (the two ears are mixed on two; the FFTs use ``workers``).
        active : ndarray of bool, shape (n_channels,), optional
            Channels whose input may be non-zero in this chunk; default all.
        channels : ndarray of int, optional
            ``x``, ``index``, ``weights`` and ``active`` hold only these
            channels, the others being silent and applying no filter (as
            :meth:`spatial_asmr.dsp.convolution.PartitionedConvolver.process`
            takes them; this engine keeps no state per channel, so it needs
            no more than the rows given).

        Returns
        -------
        y : ndarray, shape (2, K * B)
        """
        B = self.block_size
        T = x.shape[1] - B
        K = self.basis.size
        feeds = np.any(weights != 0, axis=(1, 3))  # (C, 2)
        if active is not None:
            feeds &= np.asarray(active, dtype=bool)[:, None]
        u = np.zeros((2, K, T), dtype=np.float32)
        index = np.ascontiguousarray(index, dtype=np.int64)
        weights = np.ascontiguousarray(weights, dtype=np.float32)
        # project the table rows met for the first time
        self._table = self.basis.ensure(index[feeds.any(axis=1)].reshape(-1))

        def mix(ear):
            rows = np.flatnonzero(feeds[:, ear])
            if len(rows):
                chunk = np.ascontiguousarray(x[rows, B:], dtype=np.float32)
                _mix_blocks(chunk, self._coefficients(index, weights, rows, ear), self._ramp,
                            u[ear])

        # BLAS on one thread per ear: its own threads would compete with the
        # other ear's and the render's (64 moving sources: 6.7x real time
        # against 5.5x with OpenBLAS's two threads per product)
        with _blas().limit(limits=1, user_api="blas"):
            if workers is not None and workers > 1 and feeds[:, 0].any() and feeds[:, 1].any():
                list(self._threads().map(mix, (0, 1)))
            else:
                mix(0)
                mix(1)
        if not feeds.any() and not self._history.any():
            return np.zeros((2, T), dtype=self.dtype)
        return self._convolve(u, workers).astype(self.dtype, copy=False)

    def frames(self, n):
        """Frames, hop and FFT length that convolve ``n`` samples.

        The fewest frames of at most ``frame_fft`` points that hold the
        chunk, all of one hop, so that little is computed past its end
        (a fixed hop would leave up to a frame's worth of waste per chunk).
        """
        lead = self.basis.n_taps - 1
        frames = -(-n // (self.frame_fft - lead))
        hop = -(-n // frames)
        return frames, hop, fft.next_fast_len(hop + lead, real=True)

    def _filter_spectra(self, n_fft):
        if n_fft not in self._spectra:
            self._spectra[n_fft] = np.ascontiguousarray(
                fft.rfft(self.basis.filters, n_fft, axis=-1), dtype=np.complex64)
        return self._spectra[n_fft]

    def _convolve(self, u, workers):
        """sum_k phi[e, k] * u[e, k] over the chunk, the history carried."""
        _, K, T = u.shape
        lead = self._history.shape[-1]
        frames, hop, N = self.frames(T)
        stream = np.zeros((2, K, lead + frames * hop + (N - hop)), dtype=np.float32)
        stream[:, :, :lead] = self._history
        stream[:, :, lead:lead + T] = u
        self._history = stream[:, :, T:T + lead].copy()
        # frame f holds stream[f hop : f hop + N]; it gives outputs f hop ... f hop + hop - 1
        shape = (2, K, frames, N)
        strides = stream.strides[:2] + (hop * stream.strides[2], stream.strides[2])
        view = np.lib.stride_tricks.as_strided(stream, shape, strides, writeable=False)
        spectra = fft.rfft(view, axis=-1, workers=workers)  # (2, K, frames, bins)
        total = np.empty((2, frames, N // 2 + 1), dtype=np.complex64)
        _spectral_sum(np.ascontiguousarray(spectra, dtype=np.complex64),
                      self._filter_spectra(N), total)
        out = fft.irfft(total, N, axis=-1, workers=workers, overwrite_x=True)
        return out[..., lead:lead + hop].reshape(2, frames * hop)[:, :T]
