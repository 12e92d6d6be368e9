"""Tables computed block by block when first read, for dense HRTF sets.

A set of tens of thousands of directions (a densely measured or simulated
one) would take minutes and gigabytes to preprocess whole, while a scene
reaches a few hundred of its directions.  :class:`BlockRows` holds such a
table as blocks of :data:`BLOCK` rows that are computed the first time one
of their rows is read.  Blocks are fixed (rows ``[k BLOCK, (k + 1) BLOCK)``),
so a row's values do not depend on which other rows were asked for with it
or before it: the same scene renders to the same bytes whatever was
rendered before.  Storage is allocated whole but written block by block;
the operating system commits memory only for the blocks computed.
"""

__all__ = ["BlockRows", "spatial_order", "BLOCK", "BAND", "DENSE"]

import threading

import numpy as np

BLOCK = 16
"""int : Rows computed together."""

DENSE = 5000
"""int : Sets with more measurements than this are preprocessed as they are read
(the bundled KEMAR has 710, ``hrtf: sphere`` 4104, dense measured or simulated
sets 8,000 to 40,000 and more)."""


def spatial_order(positions):
    """Rows in an order that keeps neighbouring directions together.

    Bands of ``BAND`` degrees of elevation, each by azimuth, distance
    last: a block of consecutive rows in this order is a patch of the
    sphere, so a source moving a few degrees needs few blocks.

    Parameters
    ----------
    positions : ndarray, shape (n, 3)
        Azimuth, elevation (degrees), distance (metres).

    Returns
    -------
    ndarray of int, shape (n,)
    """
    positions = np.asarray(positions, dtype=np.float64)
    band = np.floor((positions[:, 1] + 90.0) / BAND)
    return np.lexsort((positions[:, 0] % 360.0, band, np.round(positions[:, 2], 3)))


BAND = 4.0
"""float : Degrees of elevation per band of :func:`spatial_order`."""


class BlockRows:
    """A table of rows computed block by block on first use.

    Parameters
    ----------
    n_rows : int
    row_shape : tuple of int
    dtype : numpy dtype
    compute : callable
        ``compute(rows) -> ndarray (len(rows),) + row_shape``: the rows of an
        int array (one block, ascending).
    order : ndarray of int, shape (n_rows,), optional
        Which rows make up the blocks: ``order[k B:(k + 1) B]`` is block k
        (default: consecutive rows); see :func:`spatial_order`.
    block : int, optional
        Rows per block.

    Notes
    -----
    Indexing with an int or an int array gives rows, as an ndarray would;
    :attr:`values` is the storage itself, valid for the rows :meth:`ensure`
    has been given (kernels that take an array read it).
    """

    def __init__(self, n_rows, row_shape, dtype, compute, order=None, block=BLOCK):
        self.shape = (int(n_rows),) + tuple(row_shape)
        self.dtype = np.dtype(dtype)
        self.values = np.empty(self.shape, dtype=self.dtype)
        order = np.arange(self.shape[0]) if order is None else np.asarray(order, np.int64)
        self._blocks = [np.sort(order[k:k + block]) for k in range(0, self.shape[0], block)]
        self._block_of = np.empty(self.shape[0], dtype=np.int64)
        for k, rows in enumerate(self._blocks):
            self._block_of[rows] = k
        self._done = np.zeros(len(self._blocks), dtype=bool)
        self._compute = compute
        self._lock = threading.Lock()

    def __len__(self):
        return self.shape[0]

    @property
    def computed(self):
        """int : Rows computed so far."""
        return int(sum(len(self._blocks[k]) for k in np.flatnonzero(self._done)))

    def ensure(self, rows):
        """Compute the blocks of some rows (int array) that are not yet."""
        flat = np.asarray(rows, dtype=np.int64).reshape(-1) % max(self.shape[0], 1)
        blocks = np.unique(self._block_of[flat])
        missing = blocks[~self._done[blocks]]
        if not len(missing):
            return
        with self._lock:
            for k in missing:
                if not self._done[k]:
                    rows_k = self._blocks[k]
                    self.values[rows_k] = self._compute(rows_k)
                    self._done[k] = True

    def __getitem__(self, index):
        if isinstance(index, slice):
            index = np.arange(self.shape[0])[index]
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        self.ensure(index)
        return self.values[index]

    def __array__(self, dtype=None, copy=None):
        self.ensure(np.arange(self.shape[0]))
        return self.values if dtype is None else self.values.astype(dtype)
