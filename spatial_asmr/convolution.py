"""Time-varying uniformly partitioned overlap-save convolution (UPOLS).

The algorithm (Wefers 2015, "Partitioned convolution algorithms for
real-time auralization", ch. 5):

* Each filter of length ``L`` is cut into ``P = ceil(L / B)`` partitions of
  ``B`` taps; each partition is zero-padded to ``2B`` and transformed
  (``B + 1`` bins).
* Each input channel is transformed in overlapping frames of ``2B`` samples
  (hop ``B``); the spectra of the last ``P`` frames form the frequency-domain
  delay line (FDL).
* Output block ``k`` of ear ``e`` is the last ``B`` samples of
  ``IFFT( sum_c sum_p X_c[k - p] * H_{c,e}[p] )``: all channels are summed in
  the frequency domain, so the number of inverse FFTs does not grow with the
  number of sources.

Time variance.  A channel's filter is given at every block boundary.  When
the filter at the start of block ``k`` differs from the one at its end, the
block is rendered with both (two accumulators, "old" and "new", per ear) and
the two results are crossfaded with a raised cosine.  Channels whose filter
does not change within a block go to a third accumulator that is not faded.
This costs at most three inverse FFTs per ear and block, whatever the
number of channels.  Rendering with the old filter uses the old filter on
the *whole* FDL, so each output is the exact output of a time-invariant
convolution, and the crossfade between two such outputs has no
discontinuity.

Filters are not given as taps but as barycentric blends of up to three rows
of a filter table (``index``, ``weights``); the blend is linear, so it is
done directly on the partitioned spectra, once per channel and block.

Offline, the control data for many blocks are known in advance, so blocks
are processed in chunks: one batched forward FFT for all frames of all
channels in the chunk, one numba kernel for the multiply-accumulate of all
blocks (the two ears run on separate threads), and one batched inverse FFT.
No Python code runs per block.
"""

__all__ = ["PartitionedConvolver", "crossfade_ramp"]

import numba as _numba
import numpy as _np
from scipy import fft as _fft


def crossfade_ramp(block_size, dtype=_np.float64):
    """Raised-cosine fade-in over one block, reaching 1 at its last sample.

    ``ramp[n] = (1 - cos(pi (n + 1) / B)) / 2``; the fade-out is
    ``1 - ramp``.  Its first derivative is continuous across blocks, which
    keeps the modulation sidebands of a moving source narrow.
    """
    n = _np.arange(block_size)
    return (0.5 * (1.0 - _np.cos(_np.pi * (n + 1) / block_size))).astype(dtype)


@_numba.njit(cache=True, nogil=True)
def _blend(spectra, index, weights, ear, out):
    n_part, n_bins = out.shape[0], out.shape[1]
    for p in range(n_part):
        for b in range(n_bins):
            out[p, b] = 0
    for i in range(index.shape[0]):
        w = weights[i]
        if w == 0.0:
            continue
        row = spectra[index[i], ear]
        for p in range(n_part):
            for b in range(n_bins):
                out[p, b] += w * row[p, b]


@_numba.njit(cache=True, nogil=True)
def _mac(x, k, h, acc):
    # acc[:] += sum_p x[k - p] * h[p], where x rows are FDL frames
    n_part, n_bins = h.shape[0], h.shape[1]
    for p in range(n_part):
        xr = x[k - p]
        hr = h[p]
        for b in range(n_bins):
            acc[b] += xr[b] * hr[b]


@_numba.njit(cache=True, parallel=True)
def _accumulate(X, n_hist, spectra, index, weights, y_static, y_old, y_new, moving):
    # X: (C, n_hist + K, bins) input spectra, the first n_hist rows are the
    #    FDL history before this chunk.
    # index, weights: (C, K + 1, 2, n_blend) filter at each block boundary.
    # y_*: (2, K, bins) accumulators; moving: (K,) flag out.
    n_ch = X.shape[0]
    n_blocks = y_static.shape[1]
    n_part = spectra.shape[2]
    n_bins = spectra.shape[3]
    for ear in _numba.prange(2):
        a = _np.empty((n_part, n_bins), dtype=spectra.dtype)
        b = _np.empty((n_part, n_bins), dtype=spectra.dtype)
        for c in range(n_ch):
            n_blend = weights.shape[3]
            active = False
            for j in range(n_blocks + 1):
                for i in range(n_blend):
                    if weights[c, j, ear, i] != 0.0:
                        active = True
            if not active:
                continue
            _blend(spectra, index[c, 0, ear], weights[c, 0, ear], ear, a)
            for k in range(n_blocks):
                same = True
                for i in range(n_blend):
                    if (index[c, k, ear, i] != index[c, k + 1, ear, i]
                            or weights[c, k, ear, i] != weights[c, k + 1, ear, i]):
                        same = False
                row = n_hist + k
                if same:
                    _mac(X[c], row, a, y_static[ear, k])
                else:
                    _blend(spectra, index[c, k + 1, ear], weights[c, k + 1, ear], ear, b)
                    _mac(X[c], row, a, y_old[ear, k])
                    _mac(X[c], row, b, y_new[ear, k])
                    moving[k] = True
                    a, b = b, a


class PartitionedConvolver:
    """Streaming time-varying partitioned convolution of many channels to two ears.

    Parameters
    ----------
    filters : ndarray, shape (n_filters, 2, n_taps)
        Filter table; row ``i``, ear ``e`` is one filter.
    block_size : int
        ``B``: block length and partition length in samples.
    n_channels : int
        Number of input channels.
    dtype : {numpy.float64, numpy.float32}
        Processing precision.

    Notes
    -----
    Call :meth:`process` with consecutive chunks.  Each call takes the
    channels' input for ``K`` blocks plus the block before them and the
    filter (``index``, ``weights``) at the ``K + 1`` block boundaries, and
    returns ``K * B`` output samples per ear.  Output sample ``n`` depends
    on input samples ``<= n`` only: the convolution is causal, with no
    latency.
    """

    def __init__(self, filters, block_size, n_channels, dtype=_np.float64):
        filters = _np.asarray(filters)
        self.block_size = B = int(block_size)
        self.dtype = _np.dtype(dtype)
        self.cdtype = _np.result_type(self.dtype, _np.complex64)
        n_f, n_e, n_taps = filters.shape
        self.n_partitions = P = max(1, -(-n_taps // B))
        taps = _np.zeros((n_f, n_e, P * B), dtype=self.dtype)
        taps[..., :n_taps] = filters
        padded = _np.zeros((n_f, n_e, P, 2 * B), dtype=self.dtype)
        padded[..., :B] = taps.reshape(n_f, n_e, P, B)
        self.spectra = _fft.rfft(padded, axis=-1).astype(self.cdtype)
        self.n_channels = n_channels
        self._history = _np.zeros((n_channels, P - 1, B + 1), dtype=self.cdtype)
        self._ramp = crossfade_ramp(B, self.dtype)

    def process(self, x, index, weights, workers=None):
        """Convolve one chunk.

        Parameters
        ----------
        x : ndarray, shape (n_channels, (K + 1) * B)
            Input: the block before the chunk, then the chunk's ``K`` blocks.
        index : ndarray of int, shape (n_channels, K + 1, 2, n_blend)
            Filter-table rows blended at each block boundary, per ear
            (3 for a triangle, 6 for a triangle in two distance layers).
        weights : ndarray, shape (n_channels, K + 1, 2, n_blend)
            Blend weights (gains folded in); all zero where a channel does
            not feed an ear.
        workers : int, optional
            Threads for the FFTs.

        Returns
        -------
        y : ndarray, shape (2, K * B)
        """
        B = self.block_size
        C = self.n_channels
        K = x.shape[1] // B - 1
        x = _np.ascontiguousarray(x, dtype=self.dtype)
        frames = _np.lib.stride_tricks.as_strided(
            x, shape=(C, K, 2 * B), strides=(x.strides[0], B * x.strides[1], x.strides[1]),
            writeable=False)
        spectra = _fft.rfft(frames, axis=-1, workers=workers).astype(self.cdtype, copy=False)
        P = self.n_partitions
        X = _np.concatenate([self._history, spectra], axis=1)
        self._history = X[:, X.shape[1] - (P - 1):].copy() if P > 1 else self._history
        bins = B + 1
        y_static = _np.zeros((2, K, bins), dtype=self.cdtype)
        y_old = _np.zeros((2, K, bins), dtype=self.cdtype)
        y_new = _np.zeros((2, K, bins), dtype=self.cdtype)
        moving = _np.zeros(K, dtype=_np.bool_)
        _accumulate(X, P - 1, self.spectra, _np.ascontiguousarray(index, dtype=_np.int64),
                    _np.ascontiguousarray(weights, dtype=self.dtype),
                    y_static, y_old, y_new, moving)
        out = _fft.irfft(y_static, 2 * B, axis=-1, workers=workers)[..., B:]
        if moving.any():
            sel = _np.nonzero(moving)[0]
            faded = _fft.irfft(_np.stack([y_old[:, sel], y_new[:, sel]]), 2 * B,
                               axis=-1, workers=workers)[..., B:]
            ramp = self._ramp
            out[:, sel] += faded[0] * (1 - ramp) + faded[1] * ramp
        return out.reshape(2, K * B).astype(self.dtype, copy=False)
