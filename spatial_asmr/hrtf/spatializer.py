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


import numba
import numpy as np

from ..errors import HrtfError
from .blend import BLEND
from .lazy import BlockRows, spatial_order
from .nearfield import EAR_AXES, LAYER_RATIO, SKIN_MARGIN, extended_table
from .sphere import HEAD_RADIUS, SPEED_OF_SOUND

_SOFTNESS = 0.005


def effective_distance(distance, minimum, softness=_SOFTNESS):
    """Distance clamped smoothly to at least ``minimum`` (metres)."""
    d = np.asarray(distance, dtype=float)
    z = (d - minimum) / softness
    return minimum + softness * np.where(z > 30, z, np.log1p(np.exp(np.minimum(z, 30))))


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
        closest = float(closest) if near_field else np.inf
        self.table, synth_layers = extended_table(hrtf, interpolation, self.head_radius,
                                                   effective_distance(closest,
                                                                      self.min_distance),
                                                   dtype)
        self._layers = synth_layers + [(layer.distance, layer, layer.index, False)
                                       for layer in layers]
        self.layer_distances = np.array([d for d, *_ in self._layers])
        self._frontal = None  # frontal_gains' table, made when first asked

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
            ear_dir = source - EAR_AXES[e] * self.head_radius
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

    def frontal_gain(self, distances):
        """Gains that play a source straight ahead at its input's level.

        ``sqrt(2 / E)`` at each distance, where ``E`` is the energy, summed
        over both ears, of the response :meth:`query` gives a source straight
        ahead there (measured or synthesised layers, parallax and
        interpolation included): after it, white noise comes out of each ear,
        on average, at its own level.

        Parameters
        ----------
        distances : array_like, shape (Q,)
            Metres.

        Returns
        -------
        ndarray, shape (Q,)
        """
        distances = np.asarray(distances, dtype=float)
        unique, inverse = np.unique(distances, return_inverse=True)
        xyz = np.zeros((len(unique), 3))
        xyz[:, 0] = unique
        index, weights, _, _ = self.query(xyz)
        energy = np.empty(len(unique))
        for q in range(len(unique)):
            blended = np.einsum("ek,eket->et", weights[q], self.table[index[q]])
            energy[q] = np.sum(np.square(blended, dtype=np.float64))
        if not np.all(energy > 0):
            raise HrtfError(f"{self.hrtf.name or 'the HRTF set'} has no sound straight "
                            "ahead (its frontal response is silent), so it has no level to "
                            "normalise to; set render.hrtf_level: measured")
        return np.sqrt(2.0 / energy)[inverse.reshape(distances.shape)]

    def frontal_gains(self, distances):
        """:meth:`frontal_gain` at many effective distances (as :meth:`query`
        returns them), interpolated in log distance from values at every
        layer and seven points between each neighbouring two (tabulated
        once)."""
        if self._frontal is None:
            log_d = np.log(self.layer_distances)
            steps = np.linspace(0.0, 1.0, 8, endpoint=False)
            grid = np.concatenate([lo + steps * (hi - lo) for lo, hi in
                                   zip(log_d[:-1], log_d[1:], strict=True)] + [log_d[-1:]])
            # queried at these distances, tabulated at the effective ones the
            # query clamps them to (the head's surface from a point at the centre)
            raw = np.concatenate([[0.0], np.exp(grid)])
            effective = np.log(effective_distance(raw, self.min_distance))
            self._frontal = (effective, np.log(self.frontal_gain(raw)))
        grid, log_gain = self._frontal
        return np.exp(np.interp(np.log(np.asarray(distances, dtype=float)), grid, log_gain))

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
