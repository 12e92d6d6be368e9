"""Principal-component basis of a filter table: the filters of the basis engine.

Every row of a spatializer's filter table (the minimum-phase, time-aligned
responses of each direction and near-field layer, see
:mod:`spatial_asmr.hrtf.nearfield`) is written, per ear, as the ear's mean
response plus a weighted sum of ``K - 1`` components:

    h[r, e] ~ phi[e, 0] + sum_{k >= 1} c[r, e, k] phi[e, k]

``phi[e, 1:]`` are the leading eigenvectors of the covariance of the ear's
responses about their mean (the principal components; Kistler & Wightman
1992, Neal & Zahorik 2022), orthonormal, so each coefficient is a projection,
``c[r, e, k] = (h[r, e] - phi[e, 0]) . phi[e, k]``, and ``c[r, e, 0] = 1``.
The representation is linear: a barycentric blend of rows has the blend of
their coefficients (the weights' sum as coefficient 0), so the table lookup
and weights of the exact engine serve the basis engine unchanged.

Per ear, not pooled: the engine convolves ``K`` basis channels per ear in
either case (``2 K`` convolutions), so a basis per ear costs nothing more,
and it fits a set whose ears differ (a human subject) better than one
shared basis can.  On the bundled KEMAR, whose ears mirror each other, the
two fit alike: with its near-field layers (8,520 rows of 589 taps) and K =
32, 0.17 % of the table's energy is left out either way.

The fit is an eigendecomposition of a ``taps x taps`` covariance, some
0.1 s for KEMAR's 3,700 rows, so it is made when a render needs it rather
than stored: reading a cache entry would save less than it costs to keep
it right.  Sets of more than :data:`TRAINING_ROWS` rows (dense sets) are
fitted on a subset of whole blocks of rows spread over the table, so that
a lazy table (:mod:`spatial_asmr.hrtf.lazy`) computes only those blocks;
the coefficients of the other rows are projected when a render meets them.
"""

__all__ = ["HrtfBasis", "fit_basis", "basis_of", "RESIDUAL_BUDGET", "TRAINING_ROWS", "SIZES"]

import numpy as np

RESIDUAL_BUDGET = 0.007
"""float : Largest fraction of the spread of a set's own responses (its measured
directions, about their mean) that ``basis_size: auto`` leaves out, per ear:
the smallest multiple of 8 filters that meets it.  Judged on the measured
directions, since the near-field layers a scene adds (smooth variations of
them) would dilute the fraction.  The bundled KEMAR leaves out 0.57-0.66 %
at 40 filters (0.80-0.92 % at 32), whatever layers its table holds: 40, where
its leave-one-out log-spectral distortion through the basis engine is 1.44 dB
(1.53 dB at 32; every 4th direction, ``benchmarks/interpolation_lsd.py``).
The KU100 far-field set takes 40 too, the CIPIC subject 003 24 or 32."""
SIZES = (2, 256)
"""tuple : Smallest and largest ``render.basis_size``."""
TRAINING_ROWS = 8192
"""int : Most table rows a basis is fitted on."""
_BLOCK = 16  # rows per block of a lazy table (hrtf.lazy); a subset takes whole blocks


def _training_rows(n_rows, limit=TRAINING_ROWS):
    """Rows a basis is fitted on: all, or whole blocks spread evenly over the table."""
    if n_rows <= limit:
        return np.arange(n_rows)
    n_blocks = -(-n_rows // _BLOCK)
    chosen = np.unique(np.linspace(0, n_blocks - 1, limit // _BLOCK).round().astype(np.int64))
    rows = (chosen[:, None] * _BLOCK + np.arange(_BLOCK)).reshape(-1)
    return rows[rows < n_rows]


def basis_of(table, size="auto"):
    """:func:`fit_basis`, kept with a filter table that has ``spectra_pools`` (the
    next render of the same table in this process reuses it)."""
    kept = getattr(table, "spectra_pools", None)
    if kept is None:
        return fit_basis(table, size)
    key = ("basis", size)
    if key not in kept:
        kept[key] = fit_basis(table, size)
    return kept[key]


def fit_basis(table, size="auto"):
    """The basis of a filter table.

    Parameters
    ----------
    table : ndarray or lazy table, shape (n_rows, 2, n_taps)
        Filter rows (indexable by an integer array).
    size : int or 'auto'
        Filters per ear, the mean included: 2 to 256, at most ``n_taps``;
        ``'auto'``: the fewest multiple of 8 that leaves out at most
        :data:`RESIDUAL_BUDGET` of either ear's measured responses.

    Returns
    -------
    HrtfBasis
    """
    n_rows, _, n_taps = table.shape
    largest = min(SIZES[1], n_taps)
    if size != "auto":
        size = int(size)
        if not SIZES[0] <= size <= largest:
            raise ValueError(f"size is {size} but must be 'auto' or from {SIZES[0]} to "
                             f"{largest} (the responses' length)")
    rows = _training_rows(n_rows)
    data = np.asarray(table[rows], dtype=np.float64)  # (m, 2, taps)
    means, spectra = [], []
    for e in range(2):
        x = data[:, e]
        mean = x.mean(axis=0)
        centred = x - mean
        values, vectors = np.linalg.eigh(centred.T @ centred)
        order = np.argsort(values)[::-1]
        means.append(mean)
        spectra.append((np.maximum(values[order], 0.0), vectors[:, order]))
    if size == "auto":
        # judged on the set's own directions: synthesised near-field layers
        # (smooth variations of them) would dilute the fraction
        own = rows < getattr(table, "n_measured", n_rows)
        left = []
        for e in range(2):
            x = data[own, e]
            centred = x - means[e]
            captured = np.cumsum(((centred @ spectra[e][1]) ** 2).sum(axis=0))
            # what the mean and components miss, relative to the spread of
            # these responses about their own mean
            spread = ((x - x.mean(axis=0)) ** 2).sum()
            left.append(((centred ** 2).sum() - captured) / spread if spread > 0
                        else np.zeros(n_taps))
        size = largest
        for k in range(8, largest + 1, 8):
            # k filters: the mean and k - 1 components
            if all(share[k - 2] <= RESIDUAL_BUDGET for share in left):
                size = k
                break
    filters = np.empty((2, size, n_taps))
    kept = np.empty(2)
    for e in range(2):
        mean = means[e]
        values, vectors = spectra[e]
        order = np.arange(size - 1)
        components = vectors[:, order].T  # (size - 1, taps), orthonormal
        # a component's sign is arbitrary: make its largest tap positive, so
        # that the basis does not depend on the eigensolver's choice
        signs = np.sign(components[np.arange(size - 1), np.abs(components).argmax(axis=1)])
        filters[e, 0] = mean
        filters[e, 1:] = components * signs[:, None]
        total = values.sum()
        kept[e] = values[order].sum() / total if total > 0 else 1.0
    return HrtfBasis(filters, table, 1.0 - kept)


class HrtfBasis:
    """Basis filters of a table, and the coefficients of its rows.

    Parameters
    ----------
    filters : ndarray, shape (2, K, n_taps)
        Per ear: the mean response, then the ``K - 1`` orthonormal components.
    table : ndarray or lazy table, shape (n_rows, 2, n_taps)
    residual : ndarray, shape (2,)
        Fraction of the energy about the mean that the components leave
        out, per ear (over the rows fitted).

    Attributes
    ----------
    size : int
        ``K``.
    filters : ndarray, float32
    residual : ndarray
    """

    def __init__(self, filters, table, residual):
        self.filters = np.ascontiguousarray(filters, dtype=np.float32)
        self.size = self.filters.shape[1]
        self.residual = np.asarray(residual, dtype=np.float64)
        self._table = table
        self._mean = np.asarray(filters[:, 0], dtype=np.float64)
        self._components = np.asarray(filters[:, 1:], dtype=np.float64)
        n_rows = table.shape[0]
        self._coefficients = np.zeros((n_rows, 2, self.size), dtype=np.float32)
        self._known = np.zeros(n_rows, dtype=bool)

    @property
    def n_taps(self):
        """int : Length of each basis filter."""
        return self.filters.shape[-1]

    def coefficients(self, rows=None):
        """Coefficients of table rows (``1`` then the projections), per ear.

        Parameters
        ----------
        rows : ndarray of int, optional
            Table rows; default all.

        Returns
        -------
        ndarray, shape (len(rows), 2, K), float32
            Rows met for the first time are projected now.
        """
        if rows is None:
            rows = np.arange(len(self._known))
        rows = np.asarray(rows, dtype=np.int64)
        return self.ensure(rows)[rows]

    def ensure(self, rows):
        """Project the rows among ``rows`` not met before; the coefficient table.

        Returns
        -------
        ndarray, shape (n_rows, 2, K), float32
            Every table row's coefficients (rows not yet met: zeros).
        """
        rows = np.asarray(rows, dtype=np.int64)
        new = np.unique(rows[~self._known[rows]])
        for lo in range(0, len(new), 4096):
            part = new[lo:lo + 4096]
            h = np.asarray(self._table[part], dtype=np.float64)  # (m, 2, taps)
            self._coefficients[part, :, 0] = 1.0
            for e in range(2):
                self._coefficients[part, e, 1:] = (h[:, e] - self._mean[e]) @ \
                    self._components[e].T
            self._known[part] = True
        return self._coefficients

    def spectral_distortion(self, rows, sample_rate):
        """Log-spectral distortion of the reconstructed rows against the rows, dB.

        Mean over the rows and ears, 200 Hz - 16 kHz (see
        :func:`spatial_asmr.testing.log_spectral_distortion`): the basis's own
        error, without the interpolation between directions.
        """
        from ..testing import log_spectral_distortion

        rows = np.asarray(rows, dtype=np.int64)
        exact = np.asarray(self._table[rows], dtype=np.float64)
        return float(log_spectral_distortion(self.reconstruct(rows), exact, sample_rate).mean())

    def reconstruct(self, rows):
        """The responses the basis gives table rows, shape (len(rows), 2, n_taps)."""
        c = self.coefficients(rows).astype(np.float64)
        return np.einsum("mek,ekt->met", c, self.filters.astype(np.float64))
