"""HRTF sets: preprocessing, direction lookup and interpolation.

An :class:`HrtfSet` holds, for every measurement, two representations of each
ear's response at the render rate:

``raw``
    The measured HRIR (``Data.Delay`` kept apart in ``raw_delays``).  Used by
    ``nearest`` interpolation, which reproduces the measurement exactly.
``minphase``
    The minimum-phase response with the same magnitude (cepstral method),
    plus the onset delay removed from it (``onsets``, fractional samples).
    Used by ``barycentric`` interpolation: time-aligned responses blend
    without comb filtering, and the onsets are blended separately and given
    to the delay line.

Why minimum phase rather than onset-aligned measured responses: leaving each
of KEMAR's 710 directions out in turn and interpolating it from its three
neighbours gives a log-spectral distortion (200 Hz - 16 kHz) of 1.61 dB with
onset-aligned responses, 1.40 dB when the magnitudes are blended, and 1.36 dB
with minimum-phase responses (``benchmarks/interpolation_lsd.py``).  A linear
blend also keeps the interpolation linear in the filter coefficients, which
lets the convolution engine blend in the frequency domain.

The onset is the lag that best aligns the measured response with its
minimum-phase version (peak of their cross-correlation, refined to 1/8
sample with parabolic interpolation): the delay of the linear-phase part.

Direction lookup triangulates the measured directions of one distance on the
unit sphere (convex hull), finds the triangle that contains the query
direction by walking from the previous query's triangle (trajectories move
smoothly, so this takes a step or two), and returns barycentric weights.
Grids that cover only the horizontal plane are interpolated along azimuth;
grids with holes are closed by the hull's large triangles, so every direction
gets an answer blended from the measurements around the hole's rim.

What the renderer uses
    The renderer queries a set only through
    :class:`~spatial_asmr.hrtf.spatializer.Spatializer`, which reads
    :attr:`HrtfSet.layers` (each :class:`DistanceLayer`'s measurements and
    :meth:`DistanceLayer.lookup`), :meth:`HrtfSet.tables` and
    :attr:`HrtfSet.cache_key`, and adds near-field layers, parallax and
    delay lines.  :meth:`HrtfSet.lookup` and :meth:`HrtfSet.interpolate`
    answer the same directions from the measured distances alone, for
    analysis, plots and tests.
"""

__all__ = ["HrtfSet", "DistanceLayer", "load_hrtf", "bundled_hrtf_path", "is_preprocessed",
           "BUNDLED"]

import os
from functools import lru_cache

import numpy as np

from .. import cache
from ..checks import check_array, check_broadcast, check_number, check_path, check_values
from ..errors import HrtfError
from ..motion.coordinates import unit_vectors
from .bundled import BUNDLED, NAMES, bundled_hrtf_path
from .cached import entry, file_digest, is_preprocessed
from .lazy import DENSE, BlockRows, spatial_order
from .preprocess import minimum_phase, onset_delays, resample_ir
from .sofa import check_hrirs, check_positive, read_sofa, sofa_file
from .triangulation import DistanceLayer


class HrtfSet:
    """A preprocessed HRTF set at one sample rate.

    Parameters
    ----------
    ir : ndarray, shape (n_measurements, 2, n_taps)
        HRIRs at ``sample_rate``, ears (left, right).
    positions : ndarray, shape (n_measurements, 3)
        Azimuth, elevation (degrees), distance (metres).
    sample_rate : float
        Hz.
    delays : ndarray, shape (n_measurements, 2), optional
        ``Data.Delay`` in samples at ``sample_rate``.
    name : str, optional
        For messages.

    Attributes
    ----------
    raw, raw_delays : measured responses and their ``Data.Delay``.
    minphase, onsets : minimum-phase responses and onset delays (samples).
    positions : ndarray, shape (n_measurements, 3)
    distances : ndarray
        Measured distances (metres), ascending.
    layers : tuple of DistanceLayer
        The measurements of each distance in ``distances``, with their
        direction lookup.
    cache_key : str or None
        Key of the set in the disk cache (:mod:`spatial_asmr.cache`) when it
        was loaded from a file (:func:`load_hrtf`): data derived from it,
        such as the near-field layers, are cached under it.  None otherwise.

    Raises
    ------
    HrtfError
        If an argument has the wrong type or shape, or NaN, infinite or
        out-of-range values (a distance or rate <= 0, a negative delay).
    """

    def __init__(self, ir, positions, sample_rate, delays=None, name="", *,
                 _minphase=None, _onsets=None):
        ir, positions, delays = check_hrirs(ir, positions, delays)
        if delays is None:
            delays = np.zeros(ir.shape[:2])
        elif len(delays) != len(ir):  # one row for all measurements
            delays = np.repeat(delays, len(ir), axis=0)
        sample_rate = check_positive("sample_rate", sample_rate, "Hz")
        if not isinstance(name, str):
            raise HrtfError(f"name is {name!r} but must be a str")
        self.name = name
        self.cache_key = None
        self.sample_rate = float(sample_rate)
        self.raw = ir
        self.raw_delays = np.asarray(delays, dtype=np.float64)
        self.positions = positions
        if _minphase is None and len(ir) > DENSE:
            # a dense set: responses are preprocessed in blocks as they are
            # read (see hrtf.lazy); a scene reaches a few hundred of them
            order = spatial_order(positions)
            _minphase = BlockRows(len(ir), ir.shape[1:], np.float64,
                                  lambda rows: minimum_phase(ir[rows]), order)
            _onsets = BlockRows(len(ir), ir.shape[1:2], np.float64,
                                lambda rows: onset_delays(ir[rows], _minphase[rows])
                                + self.raw_delays[rows], order)
        elif _minphase is None:
            _minphase = minimum_phase(ir)
            _onsets = onset_delays(ir, _minphase) + self.raw_delays
        self.minphase = _minphase
        self.onsets = _onsets
        self.dense = isinstance(_minphase, BlockRows)
        radii = np.round(positions[:, 2], 3)
        self.distances = np.unique(radii)
        self.layers = tuple(DistanceLayer(np.nonzero(radii == r)[0], positions[radii == r])
                            for r in self.distances)

    @property
    def n_taps(self):
        """Taps per response."""
        return self.raw.shape[-1]

    def subset(self, index):
        """The set of some of the measurements, preprocessing kept.

        Parameters
        ----------
        index : array_like of int, shape (m,)
            Measurements to keep (rows of ``raw``).

        Returns
        -------
        HrtfSet
            At the same rate, with the same minimum-phase responses and
            onsets (not computed again); not cached on disk.
        """
        index = np.asarray(index)
        return HrtfSet(self.raw[index], self.positions[index], self.sample_rate,
                       self.raw_delays[index], name=self.name,
                       _minphase=self.minphase[index], _onsets=self.onsets[index])

    def tables(self, interpolation):
        """Responses and delays used by an interpolation mode.

        Returns
        -------
        filters : ndarray, shape (n_measurements, 2, n_taps)
        delays : ndarray, shape (n_measurements, 2)
        """
        if _check_interpolation(interpolation) == "nearest":
            return self.raw, self.raw_delays
        return self.minphase, self.onsets

    def lookup(self, azimuth, elevation, distance, interpolation="barycentric"):
        """Measurements and weights around the given directions.

        The measured distances only: the renderer's query, with the
        synthesised near-field layers and per-ear directions, is
        :meth:`spatial_asmr.hrtf.spatializer.Spatializer.query`.

        Parameters
        ----------
        azimuth, elevation : array_like, shape (Q,)
            Degrees.  Consecutive queries should be close (a trajectory):
            the triangle search starts from the previous answer.
        distance : array_like, shape (Q,)
            Metres; the measured distance nearest in ratio (log distance)
            is used.
        interpolation : {'barycentric', 'nearest'}

        Returns
        -------
        index : ndarray, shape (Q, 3)
            Measurement indices.
        weights : ndarray, shape (Q, 3)
            Non-negative, summing to 1.
        """
        _check_interpolation(interpolation)
        az, el, dist = _queries(azimuth, elevation, distance)
        vectors = unit_vectors(az, el)
        if len(self.layers) == 1:
            layer_of = np.zeros(len(az), dtype=int)
        else:
            layer_of = np.argmin(
                np.abs(np.log(dist[:, None] / self.distances[None, :])), axis=1)
        index = np.zeros((len(az), 3), dtype=np.int64)
        weights = np.zeros((len(az), 3))
        for k, layer in enumerate(self.layers):
            sel = layer_of == k
            if not sel.any():
                continue
            local, w = layer.lookup(vectors[sel], interpolation)
            index[sel] = layer.index[local]
            weights[sel] = w
        return index, weights

    def interpolate(self, azimuth, elevation, distance=None, interpolation="barycentric"):
        """Interpolated responses with their delays applied, one per direction.

        For analysis and plots.  The renderer does not call this: it asks
        :class:`~spatial_asmr.hrtf.spatializer.Spatializer`, which blends rows
        of the same tables (and of synthesised near-field layers) between
        distance layers, per ear; it folds the delays into a static source's
        filter as here, and gives a moving source's to the delay line.

        Parameters
        ----------
        azimuth, elevation : array_like, shape (Q,)
            Degrees.
        distance : array_like, optional
            Metres; default the largest measured distance.
        interpolation : {'barycentric', 'nearest'}

        Returns
        -------
        hrir : ndarray, shape (Q, 2, n)
            ``n = delay.folded_length(n_taps, max delay)``.
        """
        from ..dsp.delay import fold_delays, folded_length

        if distance is None:
            distance = self.distances[-1]
        index, weights = self.lookup(azimuth, elevation, distance, interpolation)
        filters, delays = self.tables(interpolation)
        blended = np.einsum("qk,qket->qet", weights, filters[index])
        delay = np.einsum("qk,qke->qe", weights, delays[index])
        return fold_delays(blended, delay, folded_length(self.n_taps, delays.max()))


_INTERPOLATIONS = ("barycentric", "nearest")


def _check_interpolation(interpolation):
    if isinstance(interpolation, str) and interpolation in _INTERPOLATIONS:
        return interpolation
    raise HrtfError(f"interpolation is {interpolation!r} but must be 'nearest' or "
                     "'barycentric'")


def _queries(azimuth, elevation, distance):
    """Query directions (degrees) and distances (metres, > 0), shape (Q,) each."""
    names = ("azimuth", "elevation", "distance")
    values = (azimuth, elevation, distance)
    arrays = check_broadcast(names, [np.atleast_1d(check_array(name, value, HrtfError))
                                      for name, value in zip(names, values, strict=True)],
                              HrtfError)
    if arrays[0].ndim != 1:
        raise HrtfError(f"azimuth, elevation and distance have shape {arrays[0].shape} but "
                         "must be (Q,) or scalars")
    check_values("distance", arrays[2], HrtfError, "> 0 m", lambda d: d > 0)
    return arrays


@lru_cache(maxsize=4)
def _sphere_set(sample_rate):
    from .sphere import sphere_hrirs

    ir, positions = sphere_hrirs(sample_rate)
    return HrtfSet(ir, positions, sample_rate, name="sphere")


def load_hrtf(name_or_path, sample_rate):
    """Load and preprocess an HRTF set for a render rate.

    Parameters
    ----------
    name_or_path : str or pathlib.Path
        A bundled name (``"kemar"``), ``"sphere"`` (the rigid-sphere head
        model of :mod:`spatial_asmr.hrtf.sphere`, measured at 0.1-2 m on a
        10-degree grid) or a SOFA file (SimpleFreeFieldHRIR).
    sample_rate : float
        Render rate in Hz; responses are resampled once if needed.

    Returns
    -------
    HrtfSet

    Raises
    ------
    HrtfError
        If ``sample_rate`` is not a number in [8000, 384000], the name is
        unknown, the file is missing, a folder, or not a usable SOFA file.

    Notes
    -----
    The preprocessed set is cached on disk (:mod:`spatial_asmr.cache`:
    ``$SPATIAL_ASMR_CACHE``, else the user cache folder), keyed by the
    package version, the file's SHA-256 and the rate, and in memory for the
    life of the process.
    """
    sample_rate = check_number("sample_rate", sample_rate, HrtfError,
                                "a number of Hz in [8000, 384000]",
                                lambda rate: 8000 <= rate <= 384000)
    check_path("name_or_path", name_or_path, HrtfError,
                f"a name ({', '.join(NAMES)}) or the path of a .sofa file")
    text = os.fsdecode(name_or_path)
    if text == "sphere":
        return _sphere_set(sample_rate)
    looks_like_name = not (os.sep in text or "/" in text or text.lower().endswith(".sofa"))
    path = bundled_hrtf_path(text) if looks_like_name else sofa_file("name_or_path", text)
    if not path.is_file():
        raise HrtfError(f"HRTF file {text!r} does not exist")
    return _load_cached(str(path.resolve()), sample_rate, file_digest(path))


@lru_cache(maxsize=8)
def _load_cached(path, sample_rate, digest):
    key, stored = entry(digest, sample_rate)

    def read(file):
        # opened here: np.load leaves a file it opened open if it is no zip
        with open(file, "rb") as fh, np.load(fh) as z:
            if "minphase" not in z.files:  # a dense set
                return HrtfSet(z["raw"], z["positions"], sample_rate, z["raw_delays"],
                               name=path)
            return HrtfSet(z["raw"], z["positions"], sample_rate, z["raw_delays"], name=path,
                           _minphase=z["minphase"], _onsets=z["onsets"])

    def write(fh):
        if hrtf.dense:  # the responses at the render rate; preprocessed as read
            np.savez(fh, raw=hrtf.raw, positions=hrtf.positions, raw_delays=hrtf.raw_delays)
        else:
            np.savez(fh, raw=hrtf.raw, positions=hrtf.positions, raw_delays=hrtf.raw_delays,
                     minphase=hrtf.minphase, onsets=hrtf.onsets)

    hrtf = cache.load(stored, read)
    if hrtf is None:  # missing or damaged: computed, and stored over a damaged one
        data = read_sofa(path)
        ir = resample_ir(data.ir, data.sample_rate, sample_rate)
        delays = data.delays * (sample_rate / data.sample_rate)
        hrtf = HrtfSet(ir, data.source_positions, sample_rate, delays, name=path)
        cache.store(stored, write)
    hrtf.cache_key = key  # derived data (near-field layers) are cached under it
    return hrtf
