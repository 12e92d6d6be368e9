"""Near-field layers and the renderer's filter table.

Closer than a set's smallest measured distance, distance layers are
synthesised (at most :data:`LAYER_RATIO` apart, down to the head surface
+ :data:`SKIN_MARGIN`): each ear's response is taken from the direction
seen from that ear (acoustic parallax) and multiplied by the minimum-phase
ratio of rigid-sphere responses for the true geometry and the measured one
(a distance variation function).  The layers of a set from a file are
cached on disk and read a row at a time (:class:`_RowFile`); a dense set's
are made for blocks of directions as they are read (:class:`_LazyLayers`).
:class:`FilterTable` puts the measured rows and the synthesised ones behind
one index; :func:`extended_table` makes it (memoised per set).
"""

__all__ = ["FilterTable", "extended_table", "LAYER_RATIO", "SKIN_MARGIN", "EAR_AXES",
           "TABLES"]

import os

import numpy as np
from scipy import fft

from .. import cache
from .lazy import BlockRows, spatial_order
from .sphere import sphere_transfer

LAYER_RATIO = 1.3
"""float : Largest ratio between neighbouring synthesised distance layers."""
SKIN_MARGIN = 0.01
"""float : Closest approach to the head surface in metres."""
EAR_AXES = np.array([[0.0, 1.0, 0.0], [0.0, -1.0, 0.0]])
"""ndarray, shape (2, 3) : The ears' directions (left, right) in the head frame."""


def _minimum_phase_log_spectrum(log_magnitude, n_fft):
    """log of the minimum-phase spectrum (n_fft//2+1 bins) whose log
    magnitude on those bins is ``log_magnitude``: ``log_magnitude`` plus
    ``i`` times its phase.  Linear in ``log_magnitude``."""
    cep = fft.irfft(log_magnitude, n_fft, axis=-1)
    fold = np.zeros(n_fft)
    fold[0] = 1.0
    fold[1:n_fft // 2] = 2.0
    fold[n_fft // 2] = 1.0
    return fft.rfft(cep * fold, axis=-1)


class _SphereTable:
    """log|S(r, theta)| on an angle grid, as the log of its minimum-phase
    spectrum on the render's bins, interpolated to angles.

    The minimum-phase log spectrum is linear in the log magnitude, and both
    interpolations (coarse frequencies to bins, grid angles to a query's)
    are linear, so making the grid's 181 rows minimum phase and
    interpolating them gives what making every direction's interpolated row
    minimum phase would (to rounding), for a fraction of the transforms.
    """

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

    def log_spectrum(self, distance, angle):
        """Minimum-phase log spectra at a distance and angles (degrees from
        the ear axis), shape (len(angle), n_fft//2+1), complex."""
        key = round(float(distance), 6)
        if key not in self._cache:
            coarse = self._table(distance)
            rows = np.empty((len(self.angles), len(self.bins)))
            for i in range(len(self.angles)):
                rows[i] = np.interp(self.bins, self.coarse, coarse[i])
            self._cache[key] = _minimum_phase_log_spectrum(rows, self.n_fft).astype(np.complex64)
        table = self._cache[key]
        angle = np.clip(angle, 0.0, 180.0)
        pos = angle / (self.angles[1] - self.angles[0])
        lo = np.minimum(pos.astype(int), len(self.angles) - 2)
        frac = (pos - lo)[:, None].astype(np.float32)
        low = table[lo]
        low += (table[lo + 1] - low) * frac
        return low


def _angle(vectors, axis):
    norm = np.linalg.norm(vectors, axis=-1)
    return np.degrees(np.arccos(np.clip(vectors @ axis / norm, -1.0, 1.0)))


def _layer_distances(d0, head_radius):
    """Synthesised layer distances below ``d0``, ascending, at most LAYER_RATIO apart."""
    min_distance = head_radius + SKIN_MARGIN
    n = int(np.ceil(np.log(d0 / min_distance) / np.log(LAYER_RATIO)))
    return min_distance * (d0 / min_distance) ** (np.arange(n) / n)


def _exp(z):
    """exp of a complex64 array, in place: exp(re) (cos im + i sin im), which
    numpy vectorises for float32 (its complex exp runs 6 times slower)."""
    magnitude = np.exp(z.real)
    phase = z.imag.copy()
    np.multiply(magnitude, np.cos(phase), out=z.real)
    np.multiply(magnitude, np.sin(phase), out=z.imag)
    return z


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
    base_spectra = fft.rfft(filters[base.index[chosen]], n_fft, axis=-1).astype(np.complex64)
    vectors = base.vectors[chosen]
    ears = EAR_AXES * head_radius
    reference = [sphere.log_spectrum(d0, _angle(vectors, EAR_AXES[e])) for e in range(2)]
    rows = []
    keep = n_taps + 32
    for distance in distances:
        entry = np.empty((len(vectors), 2, keep), dtype=np.float32)
        for e in range(2):
            # the source seen from ear e in each table direction
            b = vectors @ ears[e]
            t = -b + np.sqrt(b * b - head_radius ** 2 + distance ** 2)
            source = ears[e] + t[:, None] * vectors
            numerator = sphere.log_spectrum(distance, _angle(source, EAR_AXES[e]))
            numerator -= reference[e]
            dvf = _exp(numerator)  # minimum phase: log-linear
            dvf *= base_spectra[:, e]
            entry[:, e] = fft.irfft(dvf, n_fft, axis=-1)[:, :keep]
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


TABLES = {}


def extended_table(hrtf, interpolation, head_radius, closest, dtype=np.float64):
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
    if key in TABLES and TABLES[key][0] is hrtf:
        return TABLES[key][1]
    rows, synth_layers = None, []
    if len(distances):
        rows = _cached_rows(hrtf, interpolation, head_radius, distances, filters, base)
        m = len(base.index)
        synth_layers = [(float(d), base, np.arange(len(filters) + k * m,
                                                    len(filters) + (k + 1) * m), True)
                        for k, d in enumerate(distances)]
    table = FilterTable(filters, rows, dtype)
    if len(TABLES) >= 4:
        TABLES.pop(next(iter(TABLES)))
    TABLES[key] = (hrtf, (table, synth_layers))
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

    @property
    def n_measured(self):
        """int : Rows of the set's own directions (the first ones; layers follow)."""
        return len(self._filters)

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
