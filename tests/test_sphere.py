"""The rigid-sphere head model against closed forms and an independent series."""

import numpy as np
import pytest
from numpy.polynomial import legendre
from scipy.special import spherical_jn, spherical_yn

from spatial_asmr.hrtf.sphere import plane_wave_transfer, sphere_transfer

A = 0.0875
C = 343.0


def _direct_series(f, distance, angle, orders):
    """The point-source series with scipy's Hankel functions (no recurrence);
    usable where they do not overflow (moderate orders and arguments)."""
    mu = 2 * np.pi * f * A / C
    rho = distance / A
    cos_t = np.cos(np.radians(angle))
    total = 0
    for m in range(orders):
        h = spherical_jn(m, mu * rho) + 1j * spherical_yn(m, mu * rho)
        dh = spherical_jn(m, mu, derivative=True) + 1j * spherical_yn(m, mu, derivative=True)
        p_m = legendre.legval(cos_t, [0] * m + [1])
        total = total + (2 * m + 1) * p_m[:, None] * h / dh
    return np.conj(-(rho / mu) * np.exp(-1j * mu * rho) * total)


@pytest.mark.parametrize("distance", [0.2, 0.5, 1.4])
def test_recurrence_equals_the_series_of_scipy_hankel_functions(distance):
    f = np.array([500.0, 2000.0, 6000.0])
    angles = np.array([0.0, 60.0, 90.0, 150.0, 180.0])
    ours = sphere_transfer(f, distance, angles)
    reference = _direct_series(f, distance, angles, orders=45)
    np.testing.assert_allclose(ours, reference, rtol=1e-8)


@pytest.mark.parametrize(("distance", "tolerance"), [(100.0, 2e-2), (10000.0, 2e-4)])
def test_far_source_tends_to_the_plane_wave_solution(distance, tolerance):
    f = np.geomspace(100, 20000, 12)
    angles = np.linspace(0, 180, 7)
    ratio = sphere_transfer(f, distance, angles) / plane_wave_transfer(f, angles)
    # the difference shrinks as 1 / distance
    assert np.abs(ratio - 1).max() < tolerance


def test_plane_wave_limits_low_frequency_unity_and_high_frequency_pressure_doubling():
    low = plane_wave_transfer([20.0], [0.0, 90.0, 180.0])
    assert np.abs(low) == pytest.approx(1.0, abs=1e-3)
    high = plane_wave_transfer([40000.0], [0.0])
    assert 20 * np.log10(np.abs(high[0, 0])) == pytest.approx(6.02, abs=0.1)


def test_near_ear_level_rises_as_the_source_approaches_at_90_degrees():
    f = np.array([200.0, 1000.0, 4000.0])
    levels = [20 * np.log10(np.abs(sphere_transfer(f, r, [0.0])[0]))
              for r in (2.0, 1.0, 0.5, 0.25, 0.12)]
    assert (np.diff(levels, axis=0) > 0).all()
    # relative to the free field at the centre, the near ear gains most at low
    # frequencies as the source approaches (Duda & Martens 1998, fig. 4)
    boost = levels[-1] - levels[0]
    assert boost[0] > 10


def test_far_ear_is_shadowed_more_at_high_frequencies():
    s = sphere_transfer([500.0, 8000.0], 1.0, [180.0 - 10.0])
    near = sphere_transfer([500.0, 8000.0], 1.0, [10.0])
    ild = 20 * np.log10(np.abs(near / s))[0]
    assert ild[1] > ild[0] > 0


def test_distance_inside_the_sphere_is_rejected():
    with pytest.raises(ValueError, match="must be > radius"):
        sphere_transfer([1000.0], 0.05, [0.0])
