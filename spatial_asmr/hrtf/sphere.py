"""Rigid-sphere head model (Duda & Martens 1998).

The pressure on the surface of a rigid sphere of radius ``a`` due to a
point source at distance ``r = rho * a`` from its centre, at an angle
``theta`` between the source direction and the observation point (the ear),
normalised by the free-field pressure that the source would produce at the
centre of the sphere without it:

    H(rho, mu, theta) = -(rho / mu) exp(-i mu rho)
                        * sum_m (2m + 1) P_m(cos theta) h_m(mu rho) / h'_m(mu)

with ``mu = 2 pi f a / c`` and ``h_m`` the spherical Hankel function of the
first kind (time convention exp(-i omega t)); derived from the expansion of
``exp(ik|r - r_s|) / |r - r_s|`` in spherical waves, the rigid boundary
condition and the Wronskian ``j_m h'_m - j'_m h_m = i / x^2``.  As ``rho``
goes to infinity it tends to the plane-wave solution

    H(mu, theta) = (i / mu^2) sum_m (2m + 1) (-i)^m P_m(cos theta) / h'_m(mu).

Numerics (Duda & Martens 1998, appendix, in substance): the Hankel functions
are never formed.  With ``q_m(x) = h_m(x) / h_{m-1}(x)``, which obeys the
stable forward recurrence ``q_{m+1} = (2m + 1) / x - 1 / q_m`` from
``q_1 = 1/x - i``,

    h'_m(x) = h_m(x) (1 / q_m(x) - (m + 1) / x),
    h_m(mu rho) / h_m(mu) = (h_0(mu rho) / h_0(mu)) prod_{k<=m} q_k(mu rho) / q_k(mu),

so each term is a running product that shrinks like ``rho^-m`` once
``m > mu rho``, and never overflows.  The series stops when the last terms
have stayed below ``tol`` times the running sum for 4 orders in a row (and
not before ``m > mu rho + 10``).  DSP code uses the complex conjugate
(time convention exp(+i omega t)).
"""

__all__ = ["sphere_transfer", "plane_wave_transfer", "sphere_hrirs", "write_sphere_sofa",
           "SPEED_OF_SOUND", "HEAD_RADIUS"]

import numpy as np

from ..checks import check_array, check_integer, check_number, check_values
from ..errors import HrtfError
from .sofa import check_positive

SPEED_OF_SOUND = 343.0
"""float : Speed of sound in m/s."""
HEAD_RADIUS = 0.0875
"""float : Default head radius in metres."""


def _legendre(x, m_max):
    """P_0..P_m_max at x, shape (m_max + 1,) + x.shape (Bonnet recurrence)."""
    x = np.asarray(x, dtype=float)
    p = np.empty((m_max + 1,) + x.shape)
    p[0] = 1.0
    if m_max >= 1:
        p[1] = x
    for m in range(1, m_max):
        p[m + 1] = ((2 * m + 1) * x * p[m] - m * p[m - 1]) / (m + 1)
    return p


def sphere_transfer(frequency, distance, angle, radius=HEAD_RADIUS,
                    speed_of_sound=SPEED_OF_SOUND, tol=1e-10, max_order=2000):
    """Transfer function of a rigid sphere for a point source.

    Parameters
    ----------
    frequency : array_like, shape (F,)
        Hz; 0 is allowed (the limit is 1 for any distance and angle... it
        is taken at a small positive frequency).
    distance : float
        Source distance from the sphere's centre in metres, > radius.
    angle : array_like, shape (A,)
        Angle in degrees between the source direction and the ear
        (0 = the source is straight out from the ear).
    radius : float
        Sphere radius in metres.
    tol : float
        Relative truncation tolerance of the series.

    Returns
    -------
    H : ndarray of complex, shape (A, F)
        Pressure at the ear relative to the free-field pressure at the
        centre, DSP convention (exp(+i omega t)).
    """
    f, angle, radius, speed_of_sound = _model(frequency, angle, radius, speed_of_sound, tol,
                                              max_order)
    rho = _check_distance("distance", distance, radius) / radius
    mu = 2 * np.pi * f * radius / speed_of_sound
    x_src = mu * rho
    cos_t = np.cos(np.radians(angle))[:, None]
    # running quantities per frequency
    q_mu = 1.0 / mu - 1j  # q_1(mu)
    q_src = 1.0 / x_src - 1j
    # m = 0: h_0'(x) = -h_1(x) = h_0(x) (1/q_0 ...) -> use h'_0 = h_0 (-q_1)
    ratio_h = (np.exp(1j * x_src) / x_src) / (np.exp(1j * mu) / mu)  # h0(mu rho)/h0(mu)
    term0 = ratio_h / (-q_mu)  # h_0(mu rho) / h'_0(mu)
    p_prev = np.ones_like(cos_t)
    p_cur = cos_t
    total = term0[None, :] * p_prev
    done = np.empty_like(total)
    # the frequencies still summed: a low one converges in far fewer orders
    # than the highest, and leaves the working arrays when it has
    active = np.arange(len(mu))
    mu_a, x_a = mu, x_src
    small = np.zeros_like(mu, dtype=int)
    m = 0
    while True:
        m += 1
        if m > 1:
            q_mu = (2 * m - 1) / mu_a - 1.0 / q_mu
            q_src = (2 * m - 1) / x_a - 1.0 / q_src
            p_prev, p_cur = p_cur, ((2 * m - 1) * cos_t * p_cur - (m - 1) * p_prev) / m
        ratio_h = ratio_h * (q_src / q_mu)
        term = (2 * m + 1) * ratio_h / (1.0 / q_mu - (m + 1) / mu_a)
        total += term[None, :] * p_cur
        # |P_m| <= 1; the test only where the series may stop (m > x + 10)
        ready = np.nonzero(m > x_a + 10)[0]
        below = np.abs(term[ready]) <= tol * np.abs(total[:, ready]).max(axis=0)
        counted = np.where(below, small[ready] + 1, 0)
        small = np.zeros_like(small)
        small[ready] = counted
        converged = small >= 4
        if m >= max_order:
            converged[:] = True
        if converged.any():
            done[:, active[converged]] = total[:, converged]
            keep = ~converged
            if not keep.any():
                break
            active, mu_a, x_a, small = active[keep], mu_a[keep], x_a[keep], small[keep]
            q_mu, q_src, ratio_h, total = q_mu[keep], q_src[keep], ratio_h[keep], total[:, keep]
    h = -(rho / mu) * np.exp(-1j * x_src) * done
    return np.conj(h)


def plane_wave_transfer(frequency, angle, radius=HEAD_RADIUS,
                        speed_of_sound=SPEED_OF_SOUND, tol=1e-12, max_order=2000):
    """Rigid-sphere transfer function for a plane wave (source at infinity).

    Computed independently of :func:`sphere_transfer` from the closed form
    with scipy's spherical Bessel functions.

    Returns
    -------
    H : ndarray of complex, shape (A, F)
        DSP convention (exp(+i omega t)).
    """
    from scipy.special import spherical_jn, spherical_yn

    f, angle, radius, speed_of_sound = _model(frequency, angle, radius, speed_of_sound, tol,
                                              max_order)
    mu = 2 * np.pi * f * radius / speed_of_sound
    n = int(min(max_order, mu.max() + 40))
    p = _legendre(np.cos(np.radians(angle)), n)
    total = np.zeros((len(angle), len(f)), dtype=complex)
    for m in range(n + 1):
        dh = spherical_jn(m, mu, derivative=True) + 1j * spherical_yn(m, mu, derivative=True)
        total += (2 * m + 1) * (-1j) ** m * p[m][:, None] / dh[None, :]
    return np.conj(1j / mu ** 2 * total)


def _model(frequency, angle, radius, speed_of_sound, tol, max_order):
    """Check the arguments of the transfer functions.

    Returns
    -------
    f : ndarray, shape (F,)
        Frequencies in Hz, raised to at least 1 mHz (the limit at 0 Hz).
    angle : ndarray, shape (A,)
    radius, speed_of_sound : float
    """
    f = np.atleast_1d(check_array("frequency", frequency, HrtfError))
    angle = np.atleast_1d(check_array("angle", angle, HrtfError))
    for name, values in (("frequency", f), ("angle", angle)):
        if values.ndim != 1 or not len(values):
            raise HrtfError(f"{name} has shape {values.shape} but must be (n,), n >= 1, "
                             "or a number")
    check_values("frequency", f, HrtfError, ">= 0 Hz", lambda v: v >= 0)
    radius = check_positive("radius", radius, "metres")
    speed_of_sound = check_positive("speed_of_sound", speed_of_sound, "m/s")
    check_number("tol", tol, HrtfError, "a number in (0, 1)", lambda v: 0 < v < 1)
    check_integer("max_order", max_order, HrtfError, "an integer >= 1", lambda v: v >= 1)
    return np.maximum(f, 1e-3), angle, radius, speed_of_sound


def _check_distance(name, distance, radius):
    """A source distance outside the sphere, metres."""
    return check_number(name, distance, HrtfError, f"> radius ({radius:g} m)",
                         lambda d: d > radius)


def _sphere_grid(step=10.0):
    """Directions roughly ``step`` degrees apart: rings of constant elevation."""
    rows = []
    for el in np.arange(-90.0, 90.0 + step / 2, step):
        n = max(1, int(round(360.0 * np.cos(np.radians(el)) / step)))
        for az in np.arange(n) * 360.0 / n:
            rows.append((az, el))
    return np.array(rows)


def sphere_hrirs(sample_rate, distances=(0.1, 0.15, 0.25, 0.5, 1.0, 2.0), step=10.0,
                 radius=HEAD_RADIUS, n_taps=256, speed_of_sound=SPEED_OF_SOUND):
    """Head-related impulse responses of the rigid-sphere head model.

    Ears at +-90 degrees azimuth (left at +y) on the sphere's surface.  Each
    response is the sphere's transfer function (relative to the free-field
    pressure at the centre, so it carries the interaural time and level
    differences) delayed by 1 ms, to be causal, and half-Hann faded over
    its last quarter.

    Parameters
    ----------
    sample_rate : float
        Hz.
    distances : sequence of float
        Measurement distances in metres (> radius).
    step : float
        Approximate grid spacing in degrees.
    radius : float
        Head radius in metres.
    n_taps : int
        Length of each response.

    Returns
    -------
    ir : ndarray, shape (M, 2, n_taps)
    positions : ndarray, shape (M, 3)
        Azimuth, elevation (degrees), distance (metres).
    """
    sample_rate = check_positive("sample_rate", sample_rate, "Hz")
    radius = check_positive("radius", radius, "metres")
    distances = np.atleast_1d(check_array("distances", distances, HrtfError))
    if distances.ndim != 1 or not len(distances):
        raise HrtfError(f"distances has shape {distances.shape} but must be (n,), n >= 1")
    for i, distance in enumerate(distances):
        _check_distance(f"distances[{i}]", distance, radius)
    step = check_number("step", step, HrtfError, "a number of degrees in [1, 180]",
                         lambda v: 1 <= v <= 180)
    n_taps = check_integer("n_taps", n_taps, HrtfError, "an integer in [4, 65536]",
                            lambda v: 4 <= v <= 65536)
    grid = _sphere_grid(step)
    n_fft = 4 * n_taps
    f = np.arange(n_fft // 2 + 1) * sample_rate / n_fft
    angles = np.linspace(0.0, 180.0, 361)
    az, el = np.radians(grid[:, 0]), np.radians(grid[:, 1])
    lateral = np.cos(el) * np.sin(az)  # component along +y (left ear axis)
    ear_angle = np.degrees(np.arccos(np.clip(np.stack([lateral, -lateral], 1), -1, 1)))
    bulk = np.exp(-2j * np.pi * f * 1e-3)
    fade = np.ones(n_taps)
    q = n_taps // 4
    fade[-q:] = 0.5 * (1 + np.cos(np.pi * np.arange(1, q + 1) / q))
    irs, positions = [], []
    for distance in distances:
        table = np.fft.irfft(sphere_transfer(f, distance, angles, radius,
                                                speed_of_sound) * bulk, n_fft, axis=-1)[:, :n_taps]
        pos = ear_angle / (angles[1] - angles[0])
        lo = np.minimum(pos.astype(int), len(angles) - 2)
        frac = (pos - lo)[..., None]
        ir = table[lo] * (1 - frac) + table[lo + 1] * frac
        irs.append(ir * fade)
        positions.append(np.column_stack([grid, np.full(len(grid), distance)]))
    return np.concatenate(irs), np.concatenate(positions)


def write_sphere_sofa(path, sample_rate=48000, distances=(0.1, 0.15, 0.25, 0.5, 1.0, 2.0),
                      step=10.0, radius=HEAD_RADIUS, n_taps=256):
    """Write the rigid-sphere head model as a SimpleFreeFieldHRIR SOFA file.

    Parameters are those of :func:`sphere_hrirs`; the file holds every
    distance as its own set of measurements.
    """
    from .sofa import sofa_destination, write_sofa

    sofa_destination(path)  # before the responses are computed
    ir, positions = sphere_hrirs(sample_rate, distances, step, radius, n_taps)
    write_sofa(path, ir, positions, sample_rate, receiver_y=radius,
               title="Rigid-sphere head model", listener="sphere",
               database="spatial-asmr analytic",
               comment=f"Duda & Martens (1998) rigid sphere, radius {radius} m, ears at "
                       "+-90 degrees; responses delayed by 1 ms",
               license="Public domain (computed)",
               references="R. O. Duda and W. L. Martens, J. Acoust. Soc. Am. 104(5), "
                          "3048-3058 (1998)")
