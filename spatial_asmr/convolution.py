"""Time-varying uniformly partitioned overlap-save convolution (UPOLS).

The algorithm (Wefers 2015, "Partitioned convolution algorithms for
real-time auralization", ch. 5):

* Each filter of length ``L`` is cut into ``P = ceil(L / B)`` partitions of
  ``B`` taps; each partition is zero-padded to ``N = 2B`` and transformed
  (``B + 1`` bins).  A filter that fits in one block needs only
  ``N >= B + L - 1`` (the next fast FFT length).
* Each input channel is transformed in overlapping frames of ``N`` samples
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

:class:`FixedConvolver` is the time-invariant case on its own: one
partition, long blocks, no control data, for scenes where nothing moves.
"""

__all__ = ["PartitionedConvolver", "FixedConvolver", "crossfade_ramp"]

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
def _blend(sr, si, index, weights, ear, outr, outi):
    # out = sum_i weights[i] * spectra[index[i], ear], real and imaginary
    # planes apart (flat over partitions and bins)
    outr[:] = 0
    outi[:] = 0
    n = outr.shape[0]
    for i in range(index.shape[0]):
        w = weights[i]
        if w == 0.0:
            continue
        rr = sr[index[i], ear]
        ri = si[index[i], ear]
        for b in range(n):
            outr[b] += w * rr[b]
            outi[b] += w * ri[b]


@_numba.njit(cache=True, nogil=True)
def _mac(xr, xi, k, hr, hi, accr, acci):
    # acc += sum_p x[k - p] * h[p]; x rows are FDL frames, h is flat (P * bins)
    n_bins = accr.shape[0]
    for p in range(hr.shape[0] // n_bins):
        a = xr[k - p]
        b = xi[k - p]
        c = hr[p * n_bins:(p + 1) * n_bins]
        d = hi[p * n_bins:(p + 1) * n_bins]
        for j in range(n_bins):
            accr[j] += a[j] * c[j] - b[j] * d[j]
            acci[j] += a[j] * d[j] + b[j] * c[j]


@_numba.njit(cache=True, nogil=True)
def _mac2(xr, xi, k, hr, hi, gr, gi, accr, acci, acc2r, acc2i):
    # _mac with two filters on the same frames: acc += x * h, acc2 += x * g
    n_bins = accr.shape[0]
    for p in range(hr.shape[0] // n_bins):
        a = xr[k - p]
        b = xi[k - p]
        c = hr[p * n_bins:(p + 1) * n_bins]
        d = hi[p * n_bins:(p + 1) * n_bins]
        e = gr[p * n_bins:(p + 1) * n_bins]
        f = gi[p * n_bins:(p + 1) * n_bins]
        for j in range(n_bins):
            accr[j] += a[j] * c[j] - b[j] * d[j]
            acci[j] += a[j] * d[j] + b[j] * c[j]
            acc2r[j] += a[j] * e[j] - b[j] * f[j]
            acc2i[j] += a[j] * f[j] + b[j] * e[j]


@_numba.njit(cache=True, nogil=True)
def _planes(rows, out_r, out_i):
    # complex rows into real and imaginary planes
    for r in range(rows.shape[0]):
        row = rows[r]
        o_r = out_r[r]
        o_i = out_i[r]
        for j in range(row.shape[0]):
            o_r[j] = row[j].real
            o_i[j] = row[j].imag


@_numba.njit(cache=True, parallel=True)
def _accumulate(history, x, sr, si, index, weights, y, moving):
    # history: (C, n_hist, bins) spectra of the FDL frames before this chunk;
    # x: (C, K, bins) spectra of this chunk's frames.
    # sr, si: (n_filters, 2, P * bins) filter spectra.
    # index, weights: (C, K + 1, 2, n_blend) filter at each block boundary.
    # y: (6, 2, K, bins) accumulators: static, old, new (real, imaginary
    #    each); moving: (K,) flag out.
    n_ch = x.shape[0]
    n_hist = history.shape[1]
    n_blocks = y.shape[2]
    n_blend = weights.shape[3]
    for ear in _numba.prange(2):
        ar = _np.empty(sr.shape[2], dtype=sr.dtype)
        ai = _np.empty_like(ar)
        br = _np.empty_like(ar)
        bi = _np.empty_like(ar)
        xcr = _np.empty((n_hist + n_blocks, x.shape[2]), dtype=sr.dtype)
        xci = _np.empty_like(xcr)
        for c in range(n_ch):
            active = False
            for j in range(n_blocks + 1):
                for i in range(n_blend):
                    if weights[c, j, ear, i] != 0.0:
                        active = True
            if not active:
                continue
            _blend(sr, si, index[c, 0, ear], weights[c, 0, ear], ear, ar, ai)
            # FDL frames before this chunk, then this chunk's
            _planes(history[c], xcr[:n_hist], xci[:n_hist])
            _planes(x[c], xcr[n_hist:], xci[n_hist:])
            for k in range(n_blocks):
                same = True
                for i in range(n_blend):
                    if (index[c, k, ear, i] != index[c, k + 1, ear, i]
                            or weights[c, k, ear, i] != weights[c, k + 1, ear, i]):
                        same = False
                row = n_hist + k
                if same:
                    _mac(xcr, xci, row, ar, ai, y[0, ear, k], y[1, ear, k])
                else:
                    _blend(sr, si, index[c, k + 1, ear], weights[c, k + 1, ear], ear, br, bi)
                    _mac2(xcr, xci, row, ar, ai, br, bi,
                          y[2, ear, k], y[3, ear, k], y[4, ear, k], y[5, ear, k])
                    moving[k] = True
                    ar, br = br, ar
                    ai, bi = bi, ai


def _input_spectra(x, block_size, n_fft, dtype, workers):
    """Spectra of the overlap-save input frames of a chunk, (C, K, bins).

    ``x`` (C, (K + 1) B) holds the block before the chunk and its ``K``
    blocks; frame ``k`` (``n_fft <= 2B`` samples) ends with block ``k`` of
    the chunk.
    """
    B, N = block_size, n_fft
    x = _np.ascontiguousarray(x, dtype=dtype)
    n_ch, n = x.shape
    frames = _np.lib.stride_tricks.as_strided(
        x[:, 2 * B - N:], shape=(n_ch, n // B - 1, N),
        strides=(x.strides[0], B * x.strides[1], x.strides[1]), writeable=False)
    return _fft.rfft(frames, axis=-1, workers=workers)


_SPECTRA_ROWS = 256  # filter rows transformed at a time


class PartitionedConvolver:
    """Streaming time-varying partitioned convolution of many channels to two ears.

    Parameters
    ----------
    filters : ndarray, shape (n_filters, 2, n_taps), or a sequence of them
        The filter table; several arrays are taken as stacked in order
        (padded with zeros to the longest).  Any object with a ``shape``
        whose integer index gives a row (e.g.
        :class:`~spatial_asmr.nearfield.FilterTable`) serves as an array:
        rows are read when first used.
        Filter table; row ``i``, ear ``e`` is one filter.
    block_size : int
        ``B``: block length and partition length in samples.  Filters no
        longer than a block are one partition, transformed with the
        shortest fast FFT length that holds a block and a filter
        (``n_fft >= B + n_taps - 1``); longer ones use ``2B``.
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
        # several tables (e.g. the HRTF table and a few static filters) are
        # stacked without a copy of them all
        parts = [filters] if hasattr(filters, "shape") else list(filters)
        # arrays, or tables that give one row (2, n_taps) per integer index
        parts = [p if hasattr(p, "shape") else _np.asarray(p) for p in parts]
        self.block_size = B = int(block_size)
        self.dtype = _np.dtype(dtype)
        self.cdtype = _np.result_type(self.dtype, _np.complex64)
        n_f = sum(p.shape[0] for p in parts)
        n_e = parts[0].shape[1]
        n_taps = max(p.shape[-1] for p in parts)
        self.n_partitions = P = max(1, -(-n_taps // B))
        if P == 1:
            # overlap-save with one partition is exact for n_fft >= B + n_taps - 1
            self.n_fft = N = min(_fft.next_fast_len(B + n_taps - 1, real=True), 2 * B)
        else:
            self.n_fft = N = 2 * B
        self.n_bins = N // 2 + 1
        # Filter spectra are made when a row is first used, so memory and
        # set-up time follow the filters a scene actually reaches (a few
        # directions and distance layers), not the whole table.  They are
        # kept as real and imaginary planes (the kernels vectorise cleanly)
        # in a pool that grows by doubling; _slot maps table rows to it.
        self._parts = parts
        self._starts = _np.cumsum([0] + [p.shape[0] for p in parts])
        self._slot = _np.full(n_f, -1, dtype=_np.int64)
        self._used = 0
        self._spectra_re = _np.empty((0, n_e, P * self.n_bins), dtype=self.dtype)
        self._spectra_im = _np.empty((0, n_e, P * self.n_bins), dtype=self.dtype)
        self.n_channels = n_channels
        self._history = _np.zeros((n_channels, P - 1, self.n_bins), dtype=self.cdtype)
        self._ramp = crossfade_ramp(B, self.dtype)

    @property
    def n_spectra(self):
        """int : Filter rows transformed so far."""
        return self._used

    def _ensure(self, rows):
        """Transform the rows (table indices) that have no spectrum yet."""
        new = rows[self._slot[rows] < 0]
        if not len(new):
            return
        B, N, P = self.block_size, self.n_fft, self.n_partitions
        n_e = self._spectra_re.shape[1]
        need = self._used + len(new)
        if need > len(self._spectra_re):
            capacity = max(need, 2 * len(self._spectra_re), _SPECTRA_ROWS)
            for name in ("_spectra_re", "_spectra_im"):
                grown = _np.empty((capacity,) + getattr(self, name).shape[1:], self.dtype)
                grown[:self._used] = getattr(self, name)[:self._used]
                setattr(self, name, grown)
        for r0 in range(0, len(new), _SPECTRA_ROWS):
            rows_here = new[r0:r0 + _SPECTRA_ROWS]
            m = len(rows_here)
            padded = _np.zeros((m, n_e, P, N), dtype=self.dtype)
            taps = padded.reshape(m, n_e, P * N)
            part_of = _np.searchsorted(self._starts, rows_here, side="right") - 1
            for j, (row, k) in enumerate(zip(rows_here, part_of, strict=True)):
                filt = self._parts[k][row - self._starts[k]]
                for p in range(P):
                    seg = filt[..., p * B:(p + 1) * B]
                    taps[j, :, p * N:p * N + seg.shape[-1]] = seg
            spectra = _fft.rfft(padded, axis=-1, workers=-1).reshape(m, n_e, -1)
            slots = slice(self._used, self._used + m)
            self._spectra_re[slots] = spectra.real
            self._spectra_im[slots] = spectra.imag
            self._slot[rows_here] = _np.arange(self._used, self._used + m)
            self._used += m

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
        N = self.n_fft
        spectra = _input_spectra(x, B, N, self.dtype, workers).astype(self.cdtype, copy=False)
        K = spectra.shape[1]
        P = self.n_partitions
        y = _np.zeros((6, 2, K, self.n_bins), dtype=self.dtype)
        moving = _np.zeros(K, dtype=_np.bool_)
        spectra = _np.ascontiguousarray(spectra)
        index = _np.asarray(index, dtype=_np.int64)
        self._ensure(_np.unique(index))
        _accumulate(self._history, spectra, self._spectra_re, self._spectra_im,
                    _np.ascontiguousarray(self._slot[index]),
                    _np.ascontiguousarray(weights, dtype=self.dtype), y, moving)
        if P > 1:
            # the last P - 1 frames, from this chunk and, if it is short, before it
            recent = spectra if K >= P - 1 else _np.concatenate([self._history, spectra], axis=1)
            self._history = recent[:, -(P - 1):].copy()
        out = _fft.irfft(y[0] + 1j * y[1], N, axis=-1, workers=workers)[..., N - B:]
        if moving.any():
            sel = _np.nonzero(moving)[0]
            faded = _fft.irfft(_np.stack([y[2][:, sel] + 1j * y[3][:, sel],
                                          y[4][:, sel] + 1j * y[5][:, sel]]), N,
                               axis=-1, workers=workers)[..., N - B:]
            ramp = self._ramp
            out[:, sel] += faded[0] * (1 - ramp) + faded[1] * ramp
        return out.reshape(2, K * B).astype(self.dtype, copy=False)


class FixedConvolver:
    """Time-invariant overlap-save convolution of many channels to two ears.

    What :class:`PartitionedConvolver` computes when no filter ever changes,
    without its control data, blending and crossfade accumulators: one
    partition, long blocks, one forward FFT per channel and block and one
    inverse FFT per ear and block.  Used for scenes where nothing moves.

    Parameters
    ----------
    filters : ndarray, shape (n_channels, 2, n_taps)
        Channel ``c`` feeds ear ``e`` through ``filters[c, e]``.
    n_fft : int
        FFT length, ``> n_taps``; the block size is ``n_fft - n_taps + 1``
        and must not be shorter than the filter.
    dtype : {numpy.float64, numpy.float32}
        Processing precision.

    Notes
    -----
    :meth:`process` follows :meth:`PartitionedConvolver.process`: each call
    takes the channels' input for ``K`` blocks plus the block before them
    and returns ``K * B`` output samples per ear, causal and without
    latency.
    """

    def __init__(self, filters, n_fft, dtype=_np.float64):
        filters = _np.asarray(filters)
        n_taps = filters.shape[-1]
        self.n_fft = N = int(n_fft)
        self.block_size = B = N - n_taps + 1
        if B < n_taps:
            raise ValueError(f"n_fft is {N} but must be at least {2 * n_taps - 1} "
                             f"(twice the filter length, less one)")
        self.dtype = _np.dtype(dtype)
        cdtype = _np.result_type(self.dtype, _np.complex64)
        self._spectra = _fft.rfft(filters.astype(self.dtype), N, axis=-1).astype(cdtype)
        self.n_channels = filters.shape[0]

    def process(self, x, workers=None):
        """Convolve one chunk.

        Parameters
        ----------
        x : ndarray, shape (n_channels, (K + 1) * B)
            Input: the block before the chunk, then the chunk's ``K`` blocks.
        workers : int, optional
            Threads for the FFTs.

        Returns
        -------
        y : ndarray, shape (2, K * B)
        """
        B = self.block_size
        N = self.n_fft
        spectra = _input_spectra(x, B, N, self.dtype, workers)
        K = spectra.shape[1]
        h = self._spectra
        acc = spectra[0] * h[0, :, None]
        for c in range(1, self.n_channels):
            acc += spectra[c] * h[c, :, None]
        out = _fft.irfft(acc, N, axis=-1, workers=workers, overwrite_x=True)
        return out[..., N - B:].reshape(2, K * B)
