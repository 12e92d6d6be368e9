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

__all__ = ["PartitionedConvolver", "FixedConvolver", "SpectraPool", "crossfade_ramp"]

import weakref

import numba
import numpy as np
from scipy import fft

from ..checks import must_be


def crossfade_ramp(block_size, dtype=np.float64):
    """Raised-cosine fade-in over one block, reaching 1 at its last sample.

    ``ramp[n] = (1 - cos(pi (n + 1) / B)) / 2``; the fade-out is
    ``1 - ramp``.  Its first derivative is continuous across blocks, which
    keeps the modulation sidebands of a moving source narrow.
    """
    n = np.arange(block_size)
    return (0.5 * (1.0 - np.cos(np.pi * (n + 1) / block_size))).astype(dtype)


@numba.njit(cache=True, nogil=True)
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


@numba.njit(cache=True, nogil=True)
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


@numba.njit(cache=True, nogil=True)
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


@numba.njit(cache=True, nogil=True)
def _planes(rows, out_r, out_i):
    # complex rows into real and imaginary planes
    for r in range(rows.shape[0]):
        row = rows[r]
        o_r = out_r[r]
        o_i = out_i[r]
        for j in range(row.shape[0]):
            o_r[j] = row[j].real
            o_i[j] = row[j].imag


@numba.njit(cache=True, nogil=True)
def _accumulate(history, x, sr, si, index, weights, y, moving, ear):
    # One ear (the engine runs the two on two threads).
    # history: (C, n_hist, bins) spectra of the FDL frames before this chunk;
    # x: (C, K, bins) spectra of this chunk's frames.
    # sr, si: (n_filters, 2, P * bins) filter spectra.
    # index, weights: (C, K + 1, 2, n_blend) filter at each block boundary.
    # y: (6, 2, K, bins) accumulators: static, old, new (real, imaginary
    #    each); moving: (2, K) flag out, per ear.
    n_ch = x.shape[0]
    n_hist = history.shape[1]
    n_blocks = y.shape[2]
    n_blend = weights.shape[3]
    ar = np.empty(sr.shape[2], dtype=sr.dtype)
    ai = np.empty_like(ar)
    br = np.empty_like(ar)
    bi = np.empty_like(ar)
    xcr = np.empty((n_hist + n_blocks, x.shape[2]), dtype=sr.dtype)
    xci = np.empty_like(xcr)
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
                moving[ear, k] = True
                ar, br = br, ar
                ai, bi = bi, ai


def _input_spectra(x, block_size, n_fft, dtype, workers):
    """Spectra of the overlap-save input frames of a chunk, (C, K, bins).

    ``x`` (C, (K + 1) B) holds the block before the chunk and its ``K``
    blocks; frame ``k`` (``n_fft <= 2B`` samples) ends with block ``k`` of
    the chunk.
    """
    B, N = block_size, n_fft
    x = np.ascontiguousarray(x, dtype=dtype)
    n_ch, n = x.shape
    frames = np.lib.stride_tricks.as_strided(
        x[:, 2 * B - N:], shape=(n_ch, n // B - 1, N),
        strides=(x.strides[0], B * x.strides[1], x.strides[1]), writeable=False)
    return fft.rfft(frames, axis=-1, workers=workers)


_SPECTRA_ROWS = 256  # filter rows transformed at a time


class SpectraPool:
    """Filter spectra (real and imaginary planes) in slots that grow by doubling.

    Parameters
    ----------
    n_table : int
        Rows of the table whose slots it remembers (``table_slot``).
    n_ears, width : int
        Shape of one row's spectrum: ears, partitions times bins.
    dtype : numpy dtype
    """

    def __init__(self, n_table, n_ears, width, dtype):
        import threading

        self.re = np.empty((0, n_ears, width), dtype=dtype)
        self.im = np.empty((0, n_ears, width), dtype=dtype)
        self.table_slot = np.full(n_table, -1, dtype=np.int64)
        self.used = 0
        self._free = []
        self.lock = threading.RLock()

    def allocate(self, m):
        """Slots for ``m`` rows (freed ones first), shape (m,)."""
        with self.lock:
            reuse = [self._free.pop() for _ in range(min(m, len(self._free)))]
            fresh = m - len(reuse)
            if self.used + fresh > len(self.re):
                capacity = max(self.used + fresh, 2 * len(self.re), _SPECTRA_ROWS)
                for name in ("re", "im"):
                    old = getattr(self, name)
                    grown = np.empty((capacity,) + old.shape[1:], old.dtype)
                    grown[:self.used] = old[:self.used]
                    setattr(self, name, grown)
            slots = reuse + list(range(self.used, self.used + fresh))
            self.used += fresh
            return np.asarray(slots, dtype=np.int64)

    def release(self, slots):
        """Give slots back (an engine's own rows, when it is done)."""
        with self.lock:
            self._free.extend(slots)
            slots.clear()


class PartitionedConvolver:
    """Streaming time-varying partitioned convolution of many channels to two ears.

    Parameters
    ----------
    filters : ndarray, shape (n_filters, 2, n_taps), or a sequence of them
        The filter table; several arrays are taken as stacked in order
        (padded with zeros to the longest).  Any object with a ``shape``
        whose integer index gives a row (e.g.
        :class:`~spatial_asmr.hrtf.nearfield.FilterTable`) serves as an array:
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

    def __init__(self, filters, block_size, n_channels, dtype=np.float64):
        # several tables (e.g. the HRTF table and a few static filters) are
        # stacked without a copy of them all
        parts = [filters] if hasattr(filters, "shape") else list(filters)
        # arrays, or tables that give one row (2, n_taps) per integer index
        parts = [p if hasattr(p, "shape") else np.asarray(p) for p in parts]
        self.block_size = B = int(block_size)
        self.dtype = np.dtype(dtype)
        self.cdtype = np.result_type(self.dtype, np.complex64)
        n_f = sum(p.shape[0] for p in parts)
        n_e = parts[0].shape[1]
        n_taps = max(p.shape[-1] for p in parts)
        self.n_partitions = P = max(1, -(-n_taps // B))
        if P == 1:
            # overlap-save with one partition is exact for n_fft >= B + n_taps - 1
            self.n_fft = N = min(fft.next_fast_len(B + n_taps - 1, real=True), 2 * B)
        else:
            self.n_fft = N = 2 * B
        self.n_bins = N // 2 + 1
        # Filter spectra are made when a row is first used, so memory and
        # set-up time follow the filters a scene actually reaches (a few
        # directions and distance layers), not the whole table.  A table
        # that offers `spectra_pools` (FilterTable) keeps them for the next
        # engine of the same block size (the next scene of a batch); rows
        # of the other parts (a scene's static filters) are this engine's
        # own and are given back when it is garbage collected.
        self._parts = parts
        self._starts = np.cumsum([0] + [p.shape[0] for p in parts])
        width = P * self.n_bins
        shared = getattr(parts[0], "spectra_pools", None)
        if shared is not None:
            key = (B, N, P, self.dtype.str)  # a row's spectra: P partitions of N
            if key not in shared:
                shared[key] = SpectraPool(parts[0].shape[0], n_e, width, self.dtype)
            self._pool = shared[key]
        else:
            self._pool = SpectraPool(parts[0].shape[0], n_e, width, self.dtype)
        self._slot = np.full(n_f, -1, dtype=np.int64)
        self._slot[:parts[0].shape[0]] = self._pool.table_slot
        self._own = []
        weakref.finalize(self, self._pool.release, self._own)
        self.n_channels = n_channels
        self._history = np.zeros((n_channels, P - 1, self.n_bins), dtype=self.cdtype)
        self._held = np.ones(n_channels, dtype=bool)  # history rows that may be non-zero
        self._ramp = crossfade_ramp(B, self.dtype)
        self._unramp = 1 - self._ramp  # the old filters' side of the crossfade
        self._y = None  # accumulators, made on first use
        self._ears = None  # two threads, one per ear, made on first use

    def _threads(self):
        from concurrent.futures import ThreadPoolExecutor

        if self._ears is None:
            self._ears = ThreadPoolExecutor(2)
        return self._ears

    @property
    def n_spectra(self):
        """int : Filter rows with a spectrum in this engine's pool."""
        return int(np.count_nonzero(self._slot >= 0))

    def _ensure(self, rows, workers=None):
        """Transform the rows (table indices) that have no spectrum yet."""
        new = rows[self._slot[rows] < 0]
        if not len(new):
            return
        pool = self._pool
        with pool.lock:
            table = new < self._starts[1]
            # rows another engine of this table transformed meanwhile
            self._slot[new[table]] = pool.table_slot[new[table]]
            new = new[self._slot[new] < 0]
            B, N, P = self.block_size, self.n_fft, self.n_partitions
            n_e = pool.re.shape[1]
            part_of = np.searchsorted(self._starts, new, side="right") - 1
            for k in np.unique(part_of):
                rows_k = new[part_of == k]
                for r0 in range(0, len(rows_k), _SPECTRA_ROWS):
                    rows_here = rows_k[r0:r0 + _SPECTRA_ROWS]
                    filt = np.asarray(self._parts[k][rows_here - self._starts[k]])
                    m = len(rows_here)
                    padded = np.zeros((m, n_e, P, N), dtype=self.dtype)
                    for p in range(P):
                        seg = filt[..., p * B:(p + 1) * B]
                        padded[:, :, p, :seg.shape[-1]] = seg
                    spectra = fft.rfft(padded, axis=-1, workers=workers).reshape(m, n_e, -1)
                    slots = pool.allocate(m)
                    pool.re[slots] = spectra.real
                    pool.im[slots] = spectra.imag
                    self._slot[rows_here] = slots
                    if k == 0:
                        pool.table_slot[rows_here] = slots
                    else:
                        self._own.extend(slots.tolist())

    def process(self, x, index, weights, workers=None, active=None, channels=None):
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
        active : ndarray of bool, shape (n_channels,), optional
            Channels whose input may be non-zero in this chunk; the others
            are taken as silent (their input is not transformed).  A silent
            channel costs nothing where its weights are zero too.  Default:
            all.
        channels : ndarray of int, optional
            ``x``, ``index``, ``weights`` and ``active`` hold only these
            channels (ascending): the ones whose weights may be non-zero in
            this chunk and every active one.  The others apply no filter and
            are silent, and the chunk costs nothing for them (their history
            moves on as silence): a long scene of many sources, a few
            sounding at a time, costs what those few do.  Default: all.

        Returns
        -------
        y : ndarray, shape (2, K * B)
        """
        B = self.block_size
        N = self.n_fft
        if active is not None and not np.any(active) and not np.any(weights):
            # silence in, no filter applied: silence out, and the frames the
            # next chunk's partitions reach back to are silent
            K = x.shape[1] // B - 1
            self._history[:] = 0
            self._held[:] = False
            return np.zeros((2, K * B), dtype=self.dtype)
        n_ch = self.n_channels
        rows = None if channels is None else np.asarray(channels, dtype=np.int64)
        every = rows is None or len(rows) == n_ch
        if active is None or np.all(active):
            spectra = _input_spectra(x, B, N, self.dtype, workers)
        else:
            on = np.flatnonzero(active)
            spectra = np.zeros((x.shape[0], x.shape[1] // B - 1, self.n_bins), self.cdtype)
            if len(on):
                spectra[on] = _input_spectra(x[on], B, N, self.dtype, workers)
        spectra = spectra.astype(self.cdtype, copy=False)
        K = spectra.shape[1]
        P = self.n_partitions
        # the accumulators, kept from chunk to chunk (zeroing them costs a
        # tenth of a fresh array's page faults)
        if self._y is None or self._y.shape[2] != K:
            self._y = np.zeros((6, 2, K, self.n_bins), dtype=self.dtype)
        else:
            self._y.fill(0)
        y = self._y
        moving = np.zeros((2, K), dtype=np.bool_)
        spectra = np.ascontiguousarray(spectra)
        history = self._history if every else np.ascontiguousarray(self._history[rows])
        index = np.asarray(index, dtype=np.int64)
        slots = self._slot[index]
        missing = slots < 0
        if missing.any():  # rows met for the first time
            self._ensure(np.unique(index[missing]), workers)
            slots = self._slot[index]
        weights = np.ascontiguousarray(weights, dtype=self.dtype)

        def ear(e):
            _accumulate(history, spectra, self._pool.re, self._pool.im, slots, weights,
                        y, moving, e)

        if workers is not None and workers > 1:
            list(self._threads().map(ear, (0, 1)))
        else:
            ear(0)
            ear(1)
        moving = moving[0] | moving[1]
        if P > 1:
            # the last P - 1 frames, from this chunk and, if it is short, before it
            recent = spectra if K >= P - 1 else np.concatenate([history, spectra], axis=1)
            if every:
                self._history = recent[:, -(P - 1):].copy()
                self._held[:] = True
            else:
                # the others were silent in this chunk: their frames shift out
                # (those still held are all zero once this chunk is as long)
                others = np.ones(n_ch, dtype=bool)
                others[rows] = False
                held = others & self._held
                if held.any():
                    old = self._history[held]
                    self._history[held] = (0 if K >= P - 1 else np.concatenate(
                        [old, np.zeros_like(old[:, :K])], axis=1)[:, -(P - 1):])
                self._history[rows] = recent[:, -(P - 1):]
                self._held[rows] = True
                if K >= P - 1:
                    self._held[others] = False
        # Blocks where some filter changes crossfade from the old filters'
        # output to the new ones'; the unchanging channels' sum (y[0], y[1])
        # is added to both sides in the frequency domain, so those blocks
        # take two inverse FFTs per ear, the others one.
        out = np.empty((2, K, B), dtype=self.dtype)
        still = np.flatnonzero(~moving)
        if len(still):
            out[:, still] = fft.irfft(y[0][:, still] + 1j * y[1][:, still], N, axis=-1,
                                      workers=workers)[..., N - B:]
        if moving.any():
            # (where every block crossfades, as for moving sources, by views)
            sel = slice(None) if moving.all() else np.flatnonzero(moving)
            n_sel = K if moving.all() else len(sel)
            # the old and the new filters' spectra, both ears, made in place
            sides = np.empty((2, 2, n_sel, self.n_bins), dtype=self.cdtype)
            for side, (re, im) in enumerate(((2, 3), (4, 5))):
                np.add(y[0][:, sel], y[re][:, sel], out=sides[side].real)
                np.add(y[1][:, sel], y[im][:, sel], out=sides[side].imag)
            faded = fft.irfft(sides, N, axis=-1, workers=workers)[..., N - B:]
            old = faded[0] * self._unramp
            new = np.multiply(faded[1], self._ramp, out=faded[1])
            if isinstance(sel, slice):
                np.add(old, new, out=out)
            else:
                out[:, sel] = old + new
        return out.reshape(2, K * B)


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
    block_size : int, optional
        A shorter block (from ``n_taps`` up): a round number of samples
        with a fast FFT length above it.

    Notes
    -----
    :meth:`process` follows :meth:`PartitionedConvolver.process`: each call
    takes the channels' input for ``K`` blocks plus the block before them
    and returns ``K * B`` output samples per ear, causal and without
    latency.
    """

    def __init__(self, filters, n_fft, dtype=np.float64, block_size=None):
        filters = np.asarray(filters)
        n_taps = filters.shape[-1]
        self.n_fft = N = int(n_fft)
        self.block_size = B = N - n_taps + 1
        if block_size is not None and B >= n_taps:
            if not n_taps <= int(block_size) <= B:
                raise ValueError(must_be("block_size", block_size, f"from {n_taps} to {B} "
                                         f"(n_fft {N}, {n_taps} taps)"))
            self.block_size = B = int(block_size)
        if B < n_taps:
            raise ValueError(must_be("n_fft", N, f"at least {2 * n_taps - 1} "
                                     "(twice the filter length, less one)"))
        self.dtype = np.dtype(dtype)
        self._cdtype = np.result_type(self.dtype, np.complex64)
        self._filters = np.ascontiguousarray(filters, dtype=self.dtype)
        # each channel's spectrum is made when the channel is first active
        # (and let go of by release): memory follows the channels in use
        self._spectra = {}
        self.n_channels = filters.shape[0]

    def _spectra_of(self, rows):
        missing = [int(r) for r in rows if int(r) not in self._spectra]
        if missing:
            made = fft.rfft(self._filters[missing], self.n_fft, axis=-1).astype(self._cdtype)
            for r, h in zip(missing, made, strict=True):
                self._spectra[r] = h
        return [self._spectra[int(r)] for r in rows]

    def release(self, rows):
        """Let go of the spectra of channels that will not be active again
        (a later call that finds one active makes it anew)."""
        for r in rows:
            self._spectra.pop(int(r), None)

    def process(self, x, workers=None, active=None):
        """Convolve one chunk.

        Parameters
        ----------
        x : ndarray, shape (n_channels, (K + 1) * B)
            Input: the block before the chunk, then the chunk's ``K`` blocks.
        workers : int, optional
            Threads for the FFTs.
        active : ndarray of bool, shape (n_channels,), optional
            Channels whose input may be non-zero in this chunk; the others
            are taken as silent and cost nothing.  Default: all.

        Returns
        -------
        y : ndarray, shape (2, K * B)
        """
        B = self.block_size
        N = self.n_fft
        rows = (np.arange(self.n_channels) if active is None
                else np.flatnonzero(active))
        K = x.shape[1] // B - 1
        if not len(rows):
            return np.zeros((2, K * B), dtype=self.dtype)
        if len(rows) < self.n_channels:
            x = x[rows]
        spectra = _input_spectra(x, B, N, self.dtype, workers)
        h = self._spectra_of(rows)
        acc = spectra[0] * h[0][:, None]
        for i in range(1, len(rows)):
            acc += spectra[i] * h[i][:, None]
        out = fft.irfft(acc, N, axis=-1, workers=workers, overwrite_x=True)
        return out[..., N - B:].reshape(2, K * B)
