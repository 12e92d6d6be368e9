"""One distance layer of an HRTF set: its directions triangulated on the sphere, and the
barycentric lookup of any direction (a walk from the last triangle found)."""

__all__ = ["DistanceLayer"]

import numba
import numpy as np
from scipy.spatial import ConvexHull, cKDTree

from ..motion.coordinates import unit_vectors


class DistanceLayer:
    """The measurements of a set at one distance, with their triangulation.

    Parameters
    ----------
    index : ndarray of int, shape (m,)
        The measurements' rows in the set.
    positions : ndarray, shape (m, 3)
        Their azimuth, elevation (degrees) and distance (metres).

    Attributes
    ----------
    index : ndarray of int, shape (m,)
        Rows in the set's tables (:meth:`HrtfSet.tables`).
    distance : float
        Metres (the median of the measurements').
    vectors : ndarray, shape (m, 3)
        Unit vectors of the measured directions (SOFA head frame).
    kind : {'sphere', 'circle', 'nearest'}
        How :meth:`lookup` blends: a triangle of the convex hull, two
        neighbours in azimuth (a horizontal ring) or the nearest direction
        (too few measurements for either).
    """

    def __init__(self, index, positions):
        self.index = index  # indices into the set's measurement axis
        self.positions = positions
        self.distance = float(np.median(positions[:, 2]))
        vec = unit_vectors(positions[:, 0], positions[:, 1])
        self.vectors = vec
        self.tree = cKDTree(vec)
        self.kind = "nearest"
        if len(index) >= 4:
            rank = np.linalg.matrix_rank(vec - vec.mean(0), tol=1e-6)
            if rank == 3:
                self._triangulate(vec)
            elif rank == 2 and abs(np.linalg.svd(vec)[2][-1] @ np.array([0, 0, 1.0])) > 0.999:
                self._circle(positions)
        elif len(index) >= 2 and np.ptp(positions[:, 1]) < 1e-6:
            self._circle(positions)

    def _triangulate(self, vec):
        simplices, neighbors, inverse = _hull(vec)
        self.inverse = inverse
        self.simplices = simplices
        self.neighbors = neighbors
        # where to start the walk: the first triangle of each vertex (0 for
        # a vertex on none), without a Python loop over tens of thousands
        count = len(simplices)
        first = np.full(len(vec), count, dtype=np.int64)
        np.minimum.at(first, simplices.ravel(), np.repeat(np.arange(count), 3))
        first[first == count] = 0
        self.vertex_triangle = first
        self.kind = "sphere"

    def _circle(self, positions):
        azimuth = positions[:, 0] % 360.0  # queries are wrapped the same way
        order = np.argsort(azimuth)
        self.circle_order = order.astype(np.int64)
        self.circle_azimuth = azimuth[order].astype(float)
        self.kind = "circle"

    def lookup(self, vectors, mode):
        """The measurements of this layer around some directions, with weights.

        Parameters
        ----------
        vectors : ndarray, shape (Q, 3)
            Unit vectors.  Consecutive directions should be close (a
            trajectory): the triangle search walks from each to the next.
        mode : {'barycentric', 'nearest'}

        Returns
        -------
        local : ndarray of int, shape (Q, 3)
            Positions in :attr:`index` (``index[local]`` are table rows).
        weights : ndarray, shape (Q, 3)
            Non-negative, summing to 1.
        """
        q = len(vectors)
        idx = np.zeros((q, 3), dtype=np.int64)
        w = np.zeros((q, 3))
        if mode == "nearest" or self.kind == "nearest":
            _, nearest = self.tree.query(vectors)
            idx[:, 0] = nearest
            w[:, 0] = 1.0
            return idx, w
        if self.kind == "circle":
            az = np.degrees(np.arctan2(vectors[:, 1], vectors[:, 0])) % 360.0
            grid = self.circle_azimuth
            ext = np.concatenate([grid, [grid[0] + 360.0]])
            hi = np.searchsorted(ext, az, side="right")
            hi = np.clip(hi, 1, len(grid))
            lo = hi - 1
            below = az < grid[0]
            span_lo = np.where(below, grid[-1] - 360.0, ext[lo])
            span_hi = np.where(below, grid[0], ext[hi])
            lo = np.where(below, len(grid) - 1, lo)
            hi = np.where(below, 0, hi % len(grid))
            width = span_hi - span_lo
            frac = np.where(width > 0, (az - span_lo) / np.where(width > 0, width, 1), 0)
            idx[:, 0] = self.circle_order[lo]
            idx[:, 1] = self.circle_order[hi]
            w[:, 0] = 1 - frac
            w[:, 1] = frac
            return idx, w
        if q == 0:
            return idx, w
        # Each call starts at a triangle of the vertex nearest its first
        # direction and walks on from each result to the next (trajectories
        # move smoothly).  Nothing is carried from call to call: a direction
        # on an edge belongs to either triangle, so a start left by an
        # earlier call (another scene) could change the last bits.
        vectors = np.ascontiguousarray(vectors, dtype=np.float64)
        start = self.vertex_triangle[_nearest_vertex(self.vectors, *vectors[0])]
        _walk(vectors, self.inverse, self.neighbors, self.simplices, start, self.vectors,
              self.vertex_triangle, idx, w)
        return idx, w


CACHED_HULL = 5000
"""int : Layers of more directions than this keep their triangulation in the
disk cache (the hull of 41,527 directions takes half a second; of KEMAR's 710,
a few milliseconds)."""


def _hull(vec):
    """Triangles of the convex hull of unit vectors, their neighbours (int64) and
    the inverse of each triangle's vertex matrix (columns the vertices)."""

    def compute():
        hull = ConvexHull(vec)
        simplices = hull.simplices.astype(np.int64)
        inverse = np.linalg.inv(vec[simplices].transpose(0, 2, 1))
        return simplices, hull.neighbors.astype(np.int64), inverse

    if len(vec) <= CACHED_HULL:
        return compute()
    import hashlib

    from .. import cache

    digest = hashlib.sha256(np.ascontiguousarray(vec, dtype=np.float64).tobytes()).hexdigest()
    entry = cache.entry_path("hull", cache.key("hull", digest, directions=len(vec)), ".npz")

    def read(path):
        with open(path, "rb") as fh, np.load(fh) as z:
            got = z["simplices"], z["neighbors"], z["inverse"]
        count = len(got[0])
        if got[0].shape != (count, 3) or got[1].shape != (count, 3) or \
                got[2].shape != (count, 3, 3) or got[0].max() >= len(vec):
            raise ValueError("not the hull of these directions")
        return got

    found = cache.load(entry, read)
    if found is None:
        found = compute()
        cache.store(entry, lambda fh: np.savez(fh, simplices=found[0], neighbors=found[1],
                                               inverse=found[2]))
    return found


@numba.njit(cache=True, nogil=True)
def _nearest_vertex(vertices, x, y, z):
    best, best_dot = 0, -2.0
    for i in range(vertices.shape[0]):
        dot = vertices[i, 0] * x + vertices[i, 1] * y + vertices[i, 2] * z
        if dot > best_dot:
            best, best_dot = i, dot
    return best


@numba.njit(cache=True, nogil=True)
def _walk(vectors, inverse, neighbors, simplices, start, vertices, vertex_triangle,
          idx, w):
    # Visibility walk: step across the edge opposite the most negative
    # barycentric coordinate until all are >= 0.  If that cycles (a hull
    # that does not enclose the centre), restart from a triangle of the
    # nearest vertex; failing that, use the nearest vertex alone.
    n_tri = inverse.shape[0]
    tri = start
    for q in range(vectors.shape[0]):
        x, y, z = vectors[q, 0], vectors[q, 1], vectors[q, 2]
        found = False
        nearest = -1
        for attempt in range(2):
            if attempt == 1:
                nearest = _nearest_vertex(vertices, x, y, z)
                tri = vertex_triangle[nearest]
            for _ in range(n_tri):
                m = inverse[tri]
                b0 = m[0, 0] * x + m[0, 1] * y + m[0, 2] * z
                b1 = m[1, 0] * x + m[1, 1] * y + m[1, 2] * z
                b2 = m[2, 0] * x + m[2, 1] * y + m[2, 2] * z
                worst = min(b0, b1, b2)
                if worst >= -1e-12:
                    s = b0 + b1 + b2
                    if s > 0:
                        idx[q, 0] = simplices[tri, 0]
                        idx[q, 1] = simplices[tri, 1]
                        idx[q, 2] = simplices[tri, 2]
                        w[q, 0] = max(b0, 0.0) / s
                        w[q, 1] = max(b1, 0.0) / s
                        w[q, 2] = max(b2, 0.0) / s
                        found = True
                    break
                if b0 == worst:
                    tri = neighbors[tri, 0]
                elif b1 == worst:
                    tri = neighbors[tri, 1]
                else:
                    tri = neighbors[tri, 2]
            if found:
                break
        if not found:
            # The hull does not enclose the head centre in this direction;
            # fall back to the nearest measurement.
            idx[q, 0] = nearest
            idx[q, 1] = nearest
            idx[q, 2] = nearest
            w[q, 0] = 1.0
            w[q, 1] = 0.0
            w[q, 2] = 0.0
            tri = vertex_triangle[nearest]
    return tri
