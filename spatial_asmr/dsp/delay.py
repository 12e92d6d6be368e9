"""Variable fractional delay lines (windowed-sinc interpolation, Farrow structure).

Why windowed sinc: the delay line sits in front of every ear's convolution,
so its interpolator shapes the whole output.  A 4-point Lagrange interpolator
loses up to several tenths of a dB towards 16 kHz at half-sample delays.  A
Kaiser-windowed sinc with half-length ``H = 12`` (24 taps) and ``beta = 8``
stays within 0.0013 dB of flat up to 16 kHz for every fractional delay, at
44.1 and 48 kHz (measured on a 21-point fraction grid); see
``tests/test_delay.py``.

Why a Farrow structure (Farrow 1988, "A continuously variable digital delay
element"): each of the 24 taps is a smooth function of the fractional
position ``u`` in [0, 1), approximated by a polynomial of degree
``DEGREE`` in ``t = 2u - 1``.  Reading a signal at a position then needs the
outputs ``v_m`` of ``DEGREE + 1`` fixed FIR filters at the position's
integer part, combined by Horner's rule in ``t``.  The fixed filters run
once per signal (both ears of a source share them), vectorised over time;
per ear and sample only the Horner step remains.  The polynomials are
least-squares fits that are exact at ``u = 0`` (a whole-sample delay passes
the signal unchanged) and keep the kernel's symmetry, which halves the FIR
work.  Degree 7 keeps the interpolator within -127 dB of the windowed sinc
at 16 kHz and -146 dB at 12 kHz (48 kHz).

The delay moves smoothly: the renderer gives it at block boundaries and the
line interpolates it linearly sample by sample, so a moving source's delay
(ITD, and propagation delay with Doppler) has no steps.
"""

__all__ = ["HALF_LENGTH", "DEGREE", "fractional_kernel", "interpolator_taps", "delay_signal",
           "DelayBank", "window_span", "MARGIN", "shift_filter", "folded_length",
           "fold_delays"]

import numba
import numpy as np

from .farrow import COEFFICIENTS, DEGREE, HALF_LENGTH, fractional_kernel

_TILE = 256


_COEFFICIENTS = COEFFICIENTS
assert _COEFFICIENTS.shape[0] == 8, "_horner is written out for DEGREE = 7"


def interpolator_taps(frac):
    """Taps the delay line applies for a constant delay ``frac`` (0 <= frac <= 1).

    Same convention as :func:`fractional_kernel`, which they approximate
    (within 5e-7 per tap).
    """
    t = 2.0 * float(frac) - 1.0
    return np.polynomial.polynomial.polyval(t, _COEFFICIENTS)


@numba.njit(cache=True, nogil=True)
def _subfilters(x, first, coef, v):
    # v[m, i] = sum_k coef[m, k] x[first + i + k]  (x zero outside its range),
    # using coef[m, 2H - 1 - k] = (-1)^m coef[m, k]: the sums and differences
    # of mirrored samples are formed once per tile and shared by the four
    # even and the four odd polynomials.  The tap loop runs to the constant
    # HALF_LENGTH, so LLVM unrolls it and vectorises over samples with the
    # sum in a register (one store per output, not one per tap).  Arrays are
    # indexed with bare range variables only (views elsewhere), so numba
    # drops its negative-index checks.
    n_m, n = v.shape
    half = HALF_LENGTH
    n_in = x.shape[0]
    seg = np.empty(_TILE + 2 * half - 1, dtype=v.dtype)
    mirrored = np.empty((2, half, _TILE), dtype=v.dtype)  # sums, differences
    zero = v.dtype.type(0)
    for i0 in range(0, n, _TILE):
        tn = min(_TILE, n - i0)
        lo = first + i0
        # copied sample by sample: a slice assignment would compile numba's
        # shape-mismatch error, string formatting and all
        for i in range(tn + 2 * half - 1):
            j = lo + i
            seg[i] = x[j] if 0 <= j < n_in else zero
        for k in range(half):
            s0 = seg[k:k + tn]
            s1 = seg[2 * half - 1 - k:2 * half - 1 - k + tn]
            plus = mirrored[0, k]
            minus = mirrored[1, k]
            for i in range(tn):
                plus[i] = s0[i] + s1[i]
                minus[i] = s0[i] - s1[i]
        for m in range(n_m):
            src = mirrored[m % 2]
            c = coef[m]
            row = v[m, i0:i0 + tn]
            for i in range(tn):
                acc = zero
                for k in range(half):
                    acc += c[k] * src[k, i]
                row[i] = acc


@numba.njit(cache=True, nogil=True)
def _horner(v, base0, start, delays, block, out):
    # out[j] = x(start + j - d(j)), d linear from delays[b] to delays[b + 1]
    # across block b; v from _subfilters with first = base0 + 1 - H.
    # Written out for DEGREE = 7: eight rows, held as separate views.
    # Reading position pos(j) = g0 + j - step j has integer part
    # j + floor(g0 - step j): within a block it advances one sample per
    # sample except where floor(g0 - step j) changes (at most |step| B + 1
    # times), so each block splits into runs that read v contiguously and
    # vectorise.  The interpolated signal is continuous where runs meet, so
    # rounding in the run boundaries does not matter.
    v0, v1, v2, v3, v4, v5, v6, v7 = v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
    one = out.dtype.type(1.0)
    two = out.dtype.type(2.0)
    for b in range(out.shape[0] // block):
        d0 = delays[b]
        step = (delays[b + 1] - d0) / block
        g0 = start + b * block - d0
        o = out[b * block:(b + 1) * block]
        j = 0
        while j < block:
            whole = np.floor(g0 - step * j)
            if step > 0.0:
                end = min(block, int(np.floor((g0 - whole) / step)) + 1)
            elif step < 0.0:
                end = min(block, int(np.ceil((whole + 1.0 - g0) / -step)))
            else:
                end = block
            end = max(end, j + 1)
            n = end - j
            i0 = int(whole) + j - base0
            w0, w1, w2, w3 = v0[i0:i0 + n], v1[i0:i0 + n], v2[i0:i0 + n], v3[i0:i0 + n]
            w4, w5, w6, w7 = v4[i0:i0 + n], v5[i0:i0 + n], v6[i0:i0 + n], v7[i0:i0 + n]
            run = o[j:end]
            u0 = g0 - step * j - whole  # fractional position at the run's start
            for i in range(n):
                t = out.dtype.type(u0 - step * i) * two - one
                y = w7[i] * t + w6[i]
                y = y * t + w5[i]
                y = y * t + w4[i]
                y = y * t + w3[i]
                y = y * t + w2[i]
                y = y * t + w1[i]
                run[i] = y * t + w0[i]
            j = end


@numba.njit(cache=True, nogil=True)
def _read_group(x, channels, start, delays, block, out, coef):
    n_out = out.shape[1]
    d_min = np.inf
    d_max = -np.inf
    for c in channels:
        for b in range(n_out // block + 1):
            d_min = min(d_min, delays[c, b])
            d_max = max(d_max, delays[c, b])
    # one sample of margin each side against rounding in the interpolated delay
    base0 = int(np.floor(start - d_max)) - 1
    n_v = int(np.floor(start + n_out - 1 - d_min)) + 1 - base0 + 1
    v = np.empty((coef.shape[0], n_v), dtype=out.dtype)
    _subfilters(x, base0 + 1 - coef.shape[1] // 2, coef, v)
    for c in channels:
        _horner(v, base0, start, delays[c], block, out[c])


MARGIN = HALF_LENGTH + 4
"""int : Samples a delay-line window needs beyond the delayed span, each side."""


def window_span(start, n_out, d_min, d_max):
    """Input samples a delay-line read needs.

    Output sample ``j`` reads the input around ``start + j - d(j)``, through
    a ``2 HALF_LENGTH``-tap interpolator, with one sample of margin against
    rounding in the interpolated delay.

    Parameters
    ----------
    start, n_out : int
        Output time of the first sample, number of samples.
    d_min, d_max : float
        Smallest and largest delay in samples over the read.

    Returns
    -------
    lo, hi : int
        The read uses input samples ``lo <= i < hi`` only.
    """
    return (int(np.floor(start - d_max)) - MARGIN,
            int(np.floor(start + n_out - d_min)) + MARGIN)


class DelayBank:
    """Delay lines for many channels, read chunk by chunk in parallel.

    The input is handed to each read as one window per group, so only the
    span a read needs is ever in memory; channels of one group (the two
    ears of a source) read the same window and share its Farrow filter
    outputs.

    Parameters
    ----------
    groups : sequence of int
        Group (window row) of each channel, ``0 <= group < n_groups``.
    dtype : numpy dtype
    """

    def __init__(self, groups, dtype=np.float64):
        self.dtype = np.dtype(dtype)
        group = np.asarray(groups, dtype=np.int64).reshape(-1)
        self.n_channels = len(group)
        self.n_groups = int(group.max()) + 1 if len(group) else 0
        self._order = np.argsort(group, kind="stable").astype(np.int64)
        counts = np.bincount(group, minlength=self.n_groups)
        self._group_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._coef = _COEFFICIENTS.astype(self.dtype)
        # channels of each group, in order (what a group's read writes)
        self._channels = [self._order[self._group_start[g]:self._group_start[g + 1]].copy()
                          for g in range(self.n_groups)]
        self._pool = None
        self._pool_size = 0

    def read(self, windows, offset, start, n_out, delays, block_size, out=None, groups=None,
             workers=1, fill=True, rows=None):
        """Read ``n_out`` samples from output time ``start`` for every channel.

        Parameters
        ----------
        windows : ndarray, shape (n_groups, W)
            Input of each group from input sample ``offset`` on (zero
            outside); it must cover :func:`window_span` of the read.
        offset : int
            Input sample index of ``windows[:, 0]``.
        start, n_out : int
            Output time of the first sample, number of samples (a multiple
            of ``block_size``).
        delays : ndarray, shape (n_channels, n_out // block_size + 1)
            Delays in samples at the block boundaries.
        block_size : int
        out : ndarray, shape (n_channels, n_out), optional
            C-contiguous, ``dtype``.
        groups : sequence of int, optional
            Read only these groups; the other channels' rows are set to zero
            (a source known to be silent over the read), or with
            ``fill=False`` left as they are.  Default: all.
        workers : int, optional
            Threads reading groups at the same time (the kernels release
            the GIL); the output does not depend on it.
        fill : bool, optional
            Whether the rows of the groups not read are zeroed.
        rows : sequence of int, optional
            Compact form, for a bank of many channels of which a few sound
            at a time: ``out`` and ``delays`` hold only these channels, in
            this order, and ``windows`` one row per group of ``groups`` (in
            the order given; every channel of those groups must be among
            ``rows``).  Default: every channel and group has its row.

        Returns
        -------
        ndarray, shape (n_channels, n_out), or (len(rows), n_out)
        """
        n_rows = self.n_channels if rows is None else len(rows)
        if out is None:
            out = np.empty((n_rows, n_out), dtype=self.dtype)
        if not (out.flags.c_contiguous and out.dtype == self.dtype):
            raise ValueError(f"out must be C-contiguous {self.dtype.name}")
        if not self.n_channels:
            return out
        windows = np.ascontiguousarray(windows, dtype=self.dtype)
        delays = np.ascontiguousarray(delays, dtype=np.float64)
        start = int(start) - int(offset)
        block_size = int(block_size)
        # each read: its window's row and the rows of out (and delays) it writes
        if rows is None:
            todo = range(self.n_groups) if groups is None else sorted(set(groups))
            jobs = [(g, self._channels[g]) for g in todo]
        else:
            todo = range(self.n_groups) if groups is None else [int(g) for g in groups]
            where = np.full(self.n_channels, -1, dtype=np.int64)
            where[np.asarray(rows, dtype=np.int64)] = np.arange(len(rows))
            jobs = [(i, where[self._channels[g]]) for i, g in enumerate(todo)]
            if any((channels < 0).any() for _, channels in jobs):
                raise ValueError("rows must hold every channel of the groups read")
        if (groups is not None or rows is not None) and fill:
            skipped = np.ones(n_rows, dtype=bool)
            for _, channels in jobs:
                skipped[channels] = False
            out[skipped] = 0

        def read_group(job):
            window, channels = job
            _read_group(windows[window], channels, start, delays, block_size, out, self._coef)

        if workers > 1 and len(jobs) > 1:
            list(self._threads(workers).map(read_group, jobs))
        else:
            for job in jobs:
                read_group(job)
        return out

    def _threads(self, workers):
        # one pool for the bank's life (its idle threads end with it)
        from concurrent.futures import ThreadPoolExecutor

        if self._pool is None or self._pool_size != workers:
            if self._pool is not None:
                self._pool.shutdown()
            self._pool = ThreadPoolExecutor(workers)
            self._pool_size = workers
        return self._pool


def delay_signal(x, start, n_out, delays, block_size):
    """Read a signal through a smoothly moving fractional delay.

    Parameters
    ----------
    x : ndarray, shape (n_in,)
        Input signal (zero outside).
    start : int
        Output time of the first output sample.
    n_out : int
        Number of output samples, a multiple of ``block_size``.
    delays : ndarray, shape (n_out // block_size + 1,)
        Delay in samples at each block boundary; linear in between.
    block_size : int
        Samples per block.

    Returns
    -------
    y : ndarray, shape (n_out,)
        ``y[j] = x(start + j - delay(j))`` with band-limited interpolation.
    """
    x = np.ascontiguousarray(x)
    return DelayBank([0], x.dtype).read(x[None], 0, start, n_out, np.asarray(delays)[None],
                                        block_size)[0]


def shift_filter(h, delay, length=None):
    """Delay a filter by ``delay`` samples with the delay line's interpolator.

    Folding a constant delay into a filter this way gives exactly what the
    delay line gives for the same constant delay, so a source that stops
    moving sounds the same as one that never moved.

    Parameters
    ----------
    h : ndarray, shape (..., n_taps)
    delay : float
        Samples, >= 0.
    length : int, optional
        Output length; default ``n_taps + floor(delay) + HALF_LENGTH + 1``,
        which holds the whole interpolated response.

    Returns
    -------
    shifted : ndarray, shape (..., length)
    """
    h = np.asarray(h)
    delay = float(delay)
    n_int = int(np.floor(delay))
    frac = delay - n_int
    n_full = h.shape[-1] + n_int + HALF_LENGTH + 1
    n_out = n_full if length is None else int(length)
    out = np.zeros(h.shape[:-1] + (max(n_out, n_full),), dtype=np.result_type(h, float))
    if frac == 0.0:
        out[..., n_int:n_int + h.shape[-1]] = h
        return out[..., :n_out]
    taps = interpolator_taps(frac)
    # y[n] = sum_k taps[k] h[n - n_int - (k - H + 1)]
    full = np.apply_along_axis(lambda v: np.convolve(v, taps), -1, h)
    first = n_int - HALF_LENGTH + 1
    lo = max(first, 0)
    out[..., lo:first + full.shape[-1]] = full[..., lo - first:]
    return out[..., :n_out]


def folded_length(n_taps, max_delay):
    """Taps that hold an ``n_taps`` filter delayed by up to ``max_delay`` samples.

    The delay's integer part, plus the interpolator's half-length after it.
    """
    return n_taps + int(np.ceil(max_delay)) + HALF_LENGTH + 1


def fold_delays(filters, delays, length):
    """Delay each filter by its own delay with :func:`shift_filter`.

    Parameters
    ----------
    filters : ndarray, shape (..., n_taps)
    delays : ndarray, shape (...)
        Samples, one per filter.
    length : int
        Output length, e.g. :func:`folded_length` of the largest delay.

    Returns
    -------
    ndarray, shape (..., length)
    """
    filters = np.asarray(filters)
    delays = np.asarray(delays, dtype=float)
    out = np.empty(filters.shape[:-1] + (length,), dtype=np.result_type(filters, float))
    for i in np.ndindex(delays.shape):
        out[i] = shift_filter(filters[i], delays[i], length)
    return out
