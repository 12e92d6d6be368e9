"""Near-field rendering: distance layers, distance variation, parallax, gain.

A :class:`Spatializer` turns source positions into what the convolution
engine needs per ear: up to six filter-table rows with blend weights (a
triangle of directions in each of the two distance layers around the
source), a delay for the delay line, and the distance used for the gain.
It is the renderer's only HRTF query; it uses the public face of
:class:`~spatial_asmr.hrtf.sets.HrtfSet` (``layers``, ``tables``,
``cache_key``), and keeps the synthesised layers of sets loaded from files
in the disk cache (:mod:`spatial_asmr.cache`).

Distance layers
    Every measured distance of the HRTF set is a layer.  A source between
    two layers blends them linearly in log distance (a set measured at
    0.25/0.5/0.75/1 m gives 0.35 m from its 0.25 and 0.5 m layers).

Distance variation function (DVF; Duda & Martens 1998, Kan, Jin & van
Schaik 2009)
    Closer than the smallest measured distance ``d0`` the set is extended
    with synthesised layers down to the head surface (radius + 1 cm),
    spaced at most a factor ``LAYER_RATIO`` apart.  Each synthesised
    response is the measured one at ``d0`` times, per ear, the ratio of the
    rigid-sphere responses (:mod:`spatial_asmr.hrtf.sphere`) at the new distance
    and at ``d0``, applied as a minimum-phase filter.  Beyond the largest
    measured distance the largest layer is used unchanged.

Acoustic parallax
    Synthesised layers are indexed, for each ear, by the direction *from
    that ear* to the source.  The DVF of such an entry is consistent with
    that: its numerator is the sphere response for the true source position
    (angle at the head centre between source and ear), its denominator the
    sphere response of the measurement it is made from (the measured
    direction, at ``d0``).  So the pinna and head detail follow the
    ear-relative direction while the head-shadow level is that of the true
    geometry, and nothing is counted twice.  On the KU100 data (far-field
    set at 3.25 m against measurements at 0.25-1 m) this gives a mean
    octave-band ILD error of 1.9 dB at 0.25 m, where parallax without the
    consistent reference gives 2.2 dB and no near-field modelling 6.4 dB
    (``benchmarks/nearfield_validation.py``).

Proximity gain law
    The source distance is clamped smoothly to at least the head radius
    plus 1 cm (``r_eff = r_min + s log(1 + exp((r - r_min) / s))``,
    ``s = 5 mm``): a source cannot enter the head, and the gain, which is
    ``d_ref / r_eff`` (inverse distance relative to the measurement
    distance ``d_ref``), has a smooth ceiling of about ``d_ref / r_min``
    instead of a pole.  The level difference between the ears comes from
    the DVF, whose near-ear boost rises smoothly as the source approaches,
    so an ear-to-ear pass close to the head has no jumps.

Delays
    Each ear's delay is the blended onset of the measured layer nearest in
    distance, in the direction from the head centre.  Onsets of the layers
    of a multi-distance set are shifted to a common mean, so that without
    Doppler only the interaural delay moves the delay lines; with Doppler
    the propagation delay ``r / c`` is added.
"""

__all__ = ["Spatializer", "effective_distance", "LAYER_RATIO", "SKIN_MARGIN", "BLEND"]

import os

import numba
import numpy as np
from scipy import fft

from .. import cache
from .blend import BLEND
from .lazy import BlockRows, spatial_order
from .sphere import HEAD_RADIUS, SPEED_OF_SOUND, sphere_transfer

LAYER_RATIO = 1.3
"""float : Largest ratio between neighbouring synthesised distance layers."""
SKIN_MARGIN = 0.01
"""float : Closest approach to the head surface in metres."""
_SOFTNESS = 0.005
_EAR_AXES = np.array([[0.0, 1.0, 0.0], [0.0, -1.0, 0.0]])  # left, right


def effective_distance(distance, minimum, softness=_SOFTNESS):
    """Distance clamped smoothly to at least ``minimum`` (metres)."""
    d = np.asarray(distance, dtype=float)
    z = (d - minimum) / softness
    return minimum + softness * np.where(z > 30, z, np.log1p(np.exp(np.minimum(z, 30))))


def _minimum_phase_spectrum(log_magnitude, n_fft):
    """Minimum-phase spectrum (n_fft//2+1 bins) from log magnitude on those bins."""
    cep = fft.irfft(log_magnitude, n_fft, axis=-1)
    fold = np.zeros(n_fft)
    fold[0] = 1.0
    fold[1:n_fft // 2] = 2.0
    fold[n_fft // 2] = 1.0
    return np.exp(fft.rfft(cep * fold, axis=-1))


class _SphereTable:
    """log|S(r, theta)| on an angle grid, interpolated to bins and angles."""

    def __init__(self, sample_rate, radius, n_fft):
        self.radius = radius
        self.n_fft = n_fft
        self.coarse = np.linspace(0, sample_rate / 2, 257)
        self.bins = np.arange(n_fft // 2 + 1) * sample_rate / n_fft
        self.angles = np.linspace(0.0, 180.0, 181)
        self._cache = {}

    def _table(self, distance):
        """log|S| on the coarse grid at a distance, from the disk cache if there."""
        key = cache.key("sphere", "duda-martens", distance=round(float(distance), 6),
                        radius=float(self.radius), top=float(self.coarse[-1]),
                        points=len(self.coarse), angles=len(self.angles))
        entry = cache.entry_path("sphere", key, ".npy")

        def read(path):
            table = np.load(path)
            if table.shape != (len(self.angles), len(self.coarse)):
                raise ValueError(f"shape {table.shape} is not that of the table")
            return table

        table = cache.load(entry, read)
        if table is None:
            s = sphere_transfer(self.coarse, distance, self.angles, radius=self.radius)
            table = np.log(np.abs(s))
            cache.store(entry, lambda fh: np.save(fh, table))
        return table

    def log_magnitude(self, distance, angle):
        key = round(float(distance), 6)
        if key not in self._cache:
            self._cache[key] = self._table(distance)
        table = self._cache[key]
        angle = np.clip(angle, 0.0, 180.0)
        pos = angle / (self.angles[1] - self.angles[0])
        lo = np.minimum(pos.astype(int), len(self.angles) - 2)
        frac = (pos - lo)[:, None]
        coarse = table[lo] * (1 - frac) + table[lo + 1] * frac
        out = np.empty((len(angle), len(self.bins)))
        for i in range(len(angle)):
            out[i] = np.interp(self.bins, self.coarse, coarse[i])
        return out


def _angle(vectors, axis):
    norm = np.linalg.norm(vectors, axis=-1)
    return np.degrees(np.arccos(np.clip(vectors @ axis / norm, -1.0, 1.0)))


def _layer_distances(d0, head_radius):
    """Synthesised layer distances below ``d0``, ascending, at most LAYER_RATIO apart."""
    min_distance = head_radius + SKIN_MARGIN
    n = int(np.ceil(np.log(d0 / min_distance) / np.log(LAYER_RATIO)))
    return min_distance * (d0 / min_distance) ** (np.arange(n) / n)


def _synthesise(filters, base, head_radius, sample_rate, distances, directions=None,
                sphere=None):
    """The near-field layers at ``distances`` of the base layer's directions
    (all, or the positions ``directions`` in ``base.index``), float32, shape
    (layers, directions, 2, taps + 32)."""
    d0 = base.distance
    n_taps = filters.shape[-1]
    n_fft = _synthesis_fft(n_taps)
    if sphere is None:
        sphere = _SphereTable(sample_rate, head_radius, n_fft)
    chosen = slice(None) if directions is None else directions
    base_spectra = fft.rfft(filters[base.index[chosen]], n_fft, axis=-1)
    vectors = base.vectors[chosen]
    ears = _EAR_AXES * head_radius
    reference = [sphere.log_magnitude(d0, _angle(vectors, _EAR_AXES[e]))
                 for e in range(2)]
    rows = []
    keep = n_taps + 32
    for distance in distances:
        entry = np.empty((len(vectors), 2, keep))
        for e in range(2):
            # the source seen from ear e in each table direction
            b = vectors @ ears[e]
            t = -b + np.sqrt(b * b - head_radius ** 2 + distance ** 2)
            source = ears[e] + t[:, None] * vectors
            numerator = sphere.log_magnitude(distance, _angle(source, _EAR_AXES[e]))
            dvf = _minimum_phase_spectrum(numerator - reference[e], n_fft)
            entry[:, e] = fft.irfft(base_spectra[:, e] * dvf, n_fft, axis=-1)[:, :keep]
        rows.append(entry)
    # stored in single precision whether computed or read from the cache, so
    # that renders are the same bytes either way
    return np.asarray(rows, dtype=np.float32)


def _synthesis_fft(n_taps):
    return 1 << int(np.ceil(np.log2(4 * n_taps)))


class _LazyLayers:
    """A dense set's synthesised layers, made for blocks of directions as read.

    The same interface as :class:`_RowFile` (``shape``, ``rows``, ``row``);
    see :mod:`spatial_asmr.hrtf.lazy`.
    """

    def __init__(self, filters, base, head_radius, sample_rate, distances):
        n_taps = filters.shape[-1]
        sphere = _SphereTable(sample_rate, head_radius, _synthesis_fft(n_taps))
        self.shape = (len(distances), len(base.index), 2, n_taps + 32)
        self.dtype = np.dtype(np.float32)

        def compute(rows):
            made = _synthesise(filters, base, head_radius, sample_rate, distances, rows,
                               sphere)
            return np.moveaxis(made, 0, 1)  # directions first

        self._blocks = BlockRows(len(base.index), (len(distances), 2, n_taps + 32),
                                 np.float32, compute, spatial_order(base.positions))

    def rows(self, index):
        """Rows (flat index over layers and directions), shape (n, 2, taps)."""
        layer, direction = np.divmod(np.asarray(index, dtype=np.int64), self.shape[1])
        self._blocks.ensure(direction)
        return self._blocks.values[direction, layer]

    def row(self, i):
        return self.rows(np.array([i]))[0]


_TABLES = {}


def _extended_table(hrtf, interpolation, head_radius, closest, dtype=np.float64):
    """Filter table with the synthesised near-field layers that sources at
    ``closest`` metres and farther need (memoised per set), in ``dtype``
    (single precision halves it for renders that run in it anyway)."""
    dtype = np.dtype(dtype)
    filters, _ = hrtf.tables(interpolation)
    base = hrtf.layers[0]
    distances = np.zeros(0)
    if closest < base.distance:
        distances = _layer_distances(base.distance, head_radius)
        below = distances <= closest
        if below.any():  # keep the layer at or below the closest approach
            distances = distances[np.nonzero(below)[0][-1]:]
    key = (id(hrtf), interpolation, round(head_radius, 6), len(distances), dtype.str)
    if key in _TABLES and _TABLES[key][0] is hrtf:
        return _TABLES[key][1]
    rows, synth_layers = None, []
    if len(distances):
        rows = _cached_rows(hrtf, interpolation, head_radius, distances, filters, base)
        m = len(base.index)
        synth_layers = [(float(d), base, np.arange(len(filters) + k * m,
                                                    len(filters) + (k + 1) * m), True)
                        for k, d in enumerate(distances)]
    table = FilterTable(filters, rows, dtype)
    if len(_TABLES) >= 4:
        _TABLES.pop(next(iter(_TABLES)))
    _TABLES[key] = (hrtf, (table, synth_layers))
    return table, synth_layers


class _RowFile:
    """The synthesised layers in their .npy cache file, read a row at a time."""

    def __init__(self, path):
        with open(path, "rb") as fh:
            version = np.lib.format.read_magic(fh)
            read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                    else np.lib.format.read_array_header_2_0)
            shape, fortran, dtype = read(fh)
            self.offset = fh.tell()
        if fortran or len(shape) != 4:
            raise ValueError("not a C-ordered (layers, directions, 2, taps) array")
        self.path, self.shape, self.dtype = path, tuple(shape), np.dtype(dtype)
        size = self.offset + int(np.prod(shape)) * self.dtype.itemsize
        if os.path.getsize(path) != size:
            raise ValueError("truncated")

    def rows(self, index):
        """Rows (flat index over layers and directions), shape (n, 2, taps).

        Read one span per run of nearby rows (a render's rows cluster in a
        few layers), not one read per row.
        """
        index = np.asarray(index, dtype=np.int64)
        out = np.empty((len(index), 2, self.shape[3]), dtype=self.dtype)
        order = np.argsort(index, kind="stable")
        sorted_rows = index[order]
        # split where the gap to the next row is more than a layer's worth
        breaks = np.nonzero(np.diff(sorted_rows) > self.shape[1])[0] + 1
        for run in np.split(np.arange(len(index)), breaks):
            if not len(run):
                continue
            lo, hi = int(sorted_rows[run[0]]), int(sorted_rows[run[-1]]) + 1
            count = 2 * self.shape[3]
            data = np.fromfile(self.path, dtype=self.dtype, count=(hi - lo) * count,
                                offset=self.offset + lo * count * self.dtype.itemsize)
            if len(data) != (hi - lo) * count:
                raise OSError(f"near-field cache {self.path} was cut short while in use")
            span = data.reshape(hi - lo, 2, self.shape[3])
            out[order[run]] = span[sorted_rows[run] - lo]
        return out

    def row(self, i):
        count = 2 * self.shape[3]
        data = np.fromfile(self.path, dtype=self.dtype, count=count,
                            offset=self.offset + i * count * self.dtype.itemsize)
        if len(data) != count:
            raise OSError(f"near-field cache {self.path} was cut short while in use")
        return data.reshape(2, self.shape[3])


class FilterTable:
    """The renderer's filter table: measured rows, then synthesised layers.

    Rows are read when asked for: the synthesised near-field layers (every
    direction at every layer distance, tens of megabytes) stay in their
    disk cache, and a render reads only the rows its sources reach.

    Parameters
    ----------
    filters : ndarray, shape (n_measured, 2, n_taps)
        The set's own (preprocessed) filters.
    layers : ndarray, shape (n_layers, n_directions, 2, n_taps_layer), or _RowFile or None
        The synthesised layers, in memory or in their cache file.
    dtype : numpy dtype
        Precision of the rows returned.
    """

    def __init__(self, filters, layers, dtype):
        # a dense set's filters are made as read: kept as they are
        self._filters = filters if isinstance(filters, BlockRows) else np.asarray(filters)
        self._layers = layers
        self.dtype = np.dtype(dtype)
        n_layers, n_dirs, _, taps = layers.shape if layers is not None else (0, 0, 2, 0)
        self._n_dirs = n_dirs
        self.n_taps = max(self._filters.shape[-1], taps)
        self.shape = (len(self._filters) + n_layers * n_dirs, 2, self.n_taps)
        # the engines' filter spectra, per (block, FFT length, dtype): kept with
        # the table, so the next render in this process reuses them
        self.spectra_pools = {}

    def __len__(self):
        return self.shape[0]

    def _row(self, i):
        out = np.zeros((2, self.n_taps), dtype=self.dtype)
        if i < len(self._filters):
            row = self._filters[i]
        elif isinstance(self._layers, (_RowFile, _LazyLayers)):
            row = self._layers.row(i - len(self._filters))
        else:
            k, j = divmod(i - len(self._filters), self._n_dirs)
            row = self._layers[k, j]
        out[:, :row.shape[-1]] = row
        return out

    def __getitem__(self, index):
        """Rows by index: an int gives (2, n_taps), an int array (..., 2, n_taps)."""
        if isinstance(index, slice):
            index = np.arange(self.shape[0])[index]
        index = np.asarray(index)
        if index.ndim == 0:
            i = int(index)
            if not -self.shape[0] <= i < self.shape[0]:
                raise IndexError(f"row {i} is out of range for {self.shape[0]} rows")
            return self._row(i % self.shape[0])
        flat = index.reshape(-1) % max(self.shape[0], 1)
        out = np.zeros((len(flat), 2, self.n_taps), dtype=self.dtype)
        n_f = len(self._filters)
        measured = flat < n_f
        if measured.any():
            out[measured, :, :self._filters.shape[-1]] = self._filters[flat[measured]]
        if not measured.all():
            layer_rows = flat[~measured] - n_f
            if isinstance(self._layers, (_RowFile, _LazyLayers)):
                got = self._layers.rows(layer_rows)
            else:
                got = self._layers.reshape((-1,) + self._layers.shape[2:])[layer_rows]
            out[~measured, :, :got.shape[-1]] = got
        return out.reshape(index.shape + (2, self.n_taps))


def _cached_rows(hrtf, interpolation, head_radius, distances, filters, base):
    """Synthesised layers, from the disk cache when the set came from a file
    (a dense set's are made as they are read, and not cached)."""
    if getattr(hrtf, "dense", False):
        return _LazyLayers(filters, base, head_radius, hrtf.sample_rate, distances)
    if hrtf.cache_key is None:
        return _synthesise(filters, base, head_radius, hrtf.sample_rate, distances)
    # the layers are fixed by the set's filters and base layer, the head and
    # the first of the distances (the others follow from it: _layer_distances)
    key = cache.key("nearfield", hrtf.cache_key, interpolation=interpolation,
                    head_radius=float(head_radius), first=float(distances[0]),
                    layers=len(distances))
    entry = cache.entry_path("nearfield", key, ".npy")

    def read(path):
        rows = _RowFile(path)
        if rows.shape[:3] != (len(distances), len(base.index), 2):
            raise ValueError(f"shape {rows.shape} is not that of the layers")
        return rows

    rows = cache.load(entry, read)
    if rows is None:  # missing or damaged: computed, and stored over a damaged one
        rows = _synthesise(filters, base, head_radius, hrtf.sample_rate, distances)
        cache.store(entry, lambda fh: np.save(fh, rows))
    return rows


def _norm(v):
    """Euclidean length of each row of ``v`` (Q, 3)."""
    return np.sqrt(v[:, 0] ** 2 + v[:, 1] ** 2 + v[:, 2] ** 2)


def _groups(n, *labels):
    """``(k, ids)`` for every ``k < n`` that occurs in one of the ``labels``
    arrays (non-negative ints, one per point): the points (ascending) that
    have label ``k`` in any of them."""
    present = sum(np.bincount(lab, minlength=n) for lab in labels)
    for k in np.flatnonzero(present):
        yield k, np.flatnonzero(np.logical_or.reduce([lab == k for lab in labels]))


@numba.njit(cache=True, nogil=True)
def _blend_delays(table, rows, local, w, points, out):
    # out[points[n]] = sum_j w[n, j] table[rows[local[n, j]]]  (both ears)
    for n in range(points.shape[0]):
        for e in range(2):
            acc = 0.0
            for j in range(3):
                acc += w[n, j] * table[rows[local[n, j]], e]
            out[points[n], e] = acc


@numba.njit(cache=True, nogil=True)
def _place(index, weights, ids, ear, k, lo, hi, frac, rows, local, w):
    # points ids[n] blend layer k (rows[local[n]], weights w[n]) as their
    # nearer layer (columns 0-2) and/or their farther one (columns 3-5)
    for n in range(ids.shape[0]):
        p = ids[n]
        if lo[p] == k:
            for j in range(3):
                index[p, ear, j] = rows[local[n, j]]
                weights[p, ear, j] = w[n, j] * (1.0 - frac[p])
        if hi[p] == k:
            for j in range(3):
                index[p, ear, 3 + j] = rows[local[n, j]]
                weights[p, ear, 3 + j] = w[n, j] * frac[p]


class Spatializer:
    """Source positions to per-ear filter blends, delays and distances.

    The renderer's HRTF query (:class:`~spatial_asmr.renderer.plan.RenderPlan`
    makes one per render and calls :meth:`query` for every source position
    it needs).

    Parameters
    ----------
    hrtf : HrtfSet
    interpolation : {'barycentric', 'nearest'}
    near_field : bool
        Synthesise distance layers closer than the set's smallest measured
        distance (DVF) with acoustic parallax.
    head_radius : float
        Metres; the sphere of the DVF, the ears' positions and the closest
        approach.
    doppler : bool
        Add the propagation delay ``r / c`` to the delays.
    closest : float, optional
        The closest distance any source will come to (metres); only the
        layers needed from there out are synthesised.  Default: all, down to
        the head surface.
    dtype : {numpy.float64, numpy.float32}, optional
        Precision of the filter table (the render's).

    Attributes
    ----------
    table : ndarray, shape (n_rows, 2, n_taps)
        Filter table for the convolution engine.
    layer_distances : ndarray
        Distance of every layer, ascending.
    """

    def __init__(self, hrtf, interpolation, near_field=True, head_radius=HEAD_RADIUS,
                 doppler=False, closest=0.0, dtype=np.float64):
        self.hrtf = hrtf
        self.interpolation = interpolation
        self.near_field = near_field
        self.head_radius = float(head_radius)
        self.doppler = doppler
        self.min_distance = self.head_radius + SKIN_MARGIN
        self.sample_rate = hrtf.sample_rate
        _, delays = hrtf.tables(interpolation)
        layers = hrtf.layers  # ascending distance
        # onsets of each measured layer shifted to the largest layer's mean
        # (of a dense set's, the mean of every 61st onset: a few hundred)
        sample = [layer.index[::61] if isinstance(delays, BlockRows) else layer.index
                  for layer in layers]
        shift = np.zeros(len(delays))
        if len(layers) > 1:
            reference_mean = delays[sample[-1]].mean()
            for layer, rows in zip(layers, sample, strict=True):
                shift[layer.index] = reference_mean - delays[rows].mean()
        if isinstance(delays, BlockRows):
            onsets = delays
            self.delay_table = BlockRows(len(onsets), (2,), np.float64,
                                         lambda rows: onsets[rows] + shift[rows, None],
                                         spatial_order(hrtf.positions))
            # onsets lie in [0, n_fft / 2) (onset_delays): a bound, not a maximum
            n_fft = 1 << int(np.ceil(np.log2(2 * hrtf.n_taps)))
            self.delay_bound = float(hrtf.raw_delays.max() + n_fft // 2 + shift.max())
            self.delayed = True
        else:
            self.delay_table = delays + shift[:, None] if len(layers) > 1 else delays.copy()
            self.delay_bound = float(self.delay_table.max())
            self.delayed = bool(self.delay_table.any())
        self.reference_distance = float(layers[-1].distance)
        closest = float(closest) if near_field else np.inf
        self.table, synth_layers = _extended_table(hrtf, interpolation, self.head_radius,
                                                   effective_distance(closest,
                                                                      self.min_distance),
                                                   dtype)
        self._layers = synth_layers + [(layer.distance, layer, layer.index, False)
                                       for layer in layers]
        self.layer_distances = np.array([d for d, *_ in self._layers])

    def query(self, xyz):
        """Blends, delays and distances for source positions.

        Parameters
        ----------
        xyz : ndarray, shape (Q, 3)
            Source positions in the head frame, metres.

        Returns
        -------
        index, weights : ndarray, shape (Q, 2, BLEND)
            Table rows and weights per ear (no gain applied).
        delays : ndarray, shape (Q, 2)
            Delay-line delay per ear in samples.
        distance : ndarray, shape (Q,)
            Effective (clamped) distance in metres.
        """
        xyz = np.asarray(xyz, dtype=float)
        q = len(xyz)
        r = _norm(xyz)
        safe = np.where(r > 0, r, 1.0)
        centre = np.where(r[:, None] > 0, xyz / safe[:, None], [1.0, 0.0, 0.0])
        r_eff = effective_distance(r, self.min_distance)
        source = centre * r_eff[:, None]
        log_d = np.log(self.layer_distances)
        pos = np.interp(np.log(r_eff), log_d, np.arange(len(log_d)))
        lo = np.minimum(pos.astype(int), len(log_d) - 1)
        hi = np.minimum(lo + 1, len(log_d) - 1)
        frac = pos - lo
        if self.interpolation == "nearest":
            lo = np.where(frac >= 0.5, hi, lo)
            frac = np.zeros(q)
        index = np.zeros((q, 2, BLEND), dtype=np.int64)
        weights = np.zeros((q, 2, BLEND))
        ear_dirs = []
        for e in range(2):
            ear_dir = source - _EAR_AXES[e] * self.head_radius
            ear_dirs.append(ear_dir / _norm(ear_dir)[:, None])
        # one lookup per layer (and ear, where the layer has parallax) for
        # every point that blends it, as the nearer or the farther layer
        for k, ids in _groups(len(self._layers), lo, hi):
            _, layer, rows, synthetic = self._layers[k]
            found = None
            for e in range(2):
                if synthetic or found is None:
                    dirs = ear_dirs[e][ids] if synthetic else centre[ids]
                    found = layer.lookup(dirs, self.interpolation)
                _place(index, weights, ids, e, k, lo, hi, frac, rows, *found)
        delays = self._delays(centre, r_eff)
        return index, weights, delays, r_eff

    def _delays(self, centre, r_eff):
        measured = [(d, layer) for d, layer, _, synthetic in self._layers if not synthetic]
        dist = np.array([d for d, _ in measured])
        nearest = np.argmin(np.abs(np.log(r_eff[:, None] / dist[None])), axis=1)
        delays = np.zeros((len(centre), 2))
        for k, sel in _groups(len(measured), nearest):
            layer = measured[k][1]
            local, w = layer.lookup(centre[sel], self.interpolation)
            table = self.delay_table
            if isinstance(table, BlockRows):  # a dense set's, made as read
                table.ensure(layer.index[local])
                table = table.values
            _blend_delays(table, layer.index, local, w, sel, delays)
        if self.doppler:
            delays += (r_eff / SPEED_OF_SOUND * self.sample_rate)[:, None]
        return delays
