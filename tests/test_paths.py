"""Source paths against closed forms and each other."""

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from spatial_asmr.errors import ArgumentError
from spatial_asmr.motion.coordinates import cart2sph, sph2cart
from spatial_asmr.motion.paths import (
    Fixed,
    Hover,
    Keyframes,
    Offset,
    Orbit,
    PathError,
    Sequence,
    SourcePath,
    Spiral,
    Sweep,
    to_spherical,
)

TIMES = [0.0, 1.0, 2.5, 3.0, 5.0]
POINTS = [(90.0, 0.0, 1.0), (0.0, 20.0, 0.5), (-90.0, -10.0, 0.3),
          (-200.0, 0.0, 0.4), (-270.0, 30.0, 1.2)]
CARTESIAN = [(0.5, 0.2, 0.0), (0.1, -0.4, 0.2), (-0.3, -0.2, -0.1),
             (-0.2, 0.5, 0.3), (0.4, 0.4, 0.0)]


def _sph(path, times):
    """Spherical positions, azimuth unwrapped over consecutive times."""
    return to_spherical(path.positions(times), unwrap=True)


# --- Orbit ------------------------------------------------------------------

@pytest.mark.parametrize("centre", [(0.0, 0.0, 0.0), (0.05, -0.02, 0.1)])
def test_orbit_keeps_its_radius_and_elevation_round_its_centre(centre):
    orbit = Orbit(0.3, 25.0, period=8.0, centre=centre)
    relative = orbit.positions(np.linspace(0, 20, 1001)) - np.array(centre)
    sph = cart2sph(relative)
    assert_allclose(sph[:, 2], 0.3, rtol=1e-13)
    assert_allclose(sph[:, 1], 25.0, atol=1e-11)


@pytest.mark.parametrize("direction", ["ccw", "cw"])
def test_orbit_repeats_exactly_after_one_period(direction):
    orbit = Orbit(0.4, -10.0, period=3.7, direction=direction, start_azimuth=33.0)
    t = np.linspace(0, 100, 997)
    assert_allclose(orbit.positions(t + 3.7), orbit.positions(t), rtol=0, atol=1e-12)


def test_counter_clockwise_orbit_goes_from_the_front_towards_the_left_ear_first():
    ccw = Orbit(1.0, period=4.0, direction="ccw").positions([0.0, 0.1, 1.0])
    cw = Orbit(1.0, period=4.0, direction="cw").positions([0.0, 0.1, 1.0])
    assert ccw[1, 1] > 0 > cw[1, 1]
    assert_allclose(ccw[2], [0.0, 1.0, 0.0], atol=1e-15)   # a quarter period: left ear
    assert_allclose(cw[2], [0.0, -1.0, 0.0], atol=1e-15)   # right ear


def test_orbit_starts_at_its_start_azimuth():
    start = Orbit(0.3, 10.0, period=8.0, start_azimuth=90.0).positions(0.0)
    assert_allclose(start, sph2cart(90.0, 10.0, 0.3), atol=1e-15)


def test_angular_speed_gives_the_same_orbit_as_its_period():
    t = np.linspace(0, 10, 101)
    by_period = Orbit(0.5, 5.0, period=8.0).positions(t)
    by_speed = Orbit(0.5, 5.0, angular_speed=45.0).positions(t)
    assert_allclose(by_speed, by_period, atol=1e-15)
    assert Orbit(0.5, angular_speed=45.0).period == 8.0


def test_orbit_turns_at_its_angular_speed():
    sph = _sph(Orbit(1.0, angular_speed=30.0, direction="cw"), np.linspace(0, 10, 1001))
    assert_allclose(sph[-1, 0] - sph[0, 0], -300.0, atol=1e-9)


# --- Sweep ------------------------------------------------------------------

def test_sweep_starts_and_ends_at_its_end_points_and_holds_there():
    sweep = Sweep((90.0, 0.0, 0.3), (-90.0, 20.0, 0.6), 4.0, easing="ease_in")
    xyz = sweep.positions([-1.0, 0.0, 4.0, 9.0])
    assert_allclose(xyz[:2], [sph2cart(90.0, 0.0, 0.3)] * 2, atol=1e-15)
    assert_allclose(xyz[2:], [sph2cart(-90.0, 20.0, 0.6)] * 2, atol=1e-15)
    assert sweep.duration == 4.0


def test_sweep_does_not_wrap_azimuth():
    halfway = Sweep((0.0, 0.0, 1.0), (360.0, 0.0, 1.0), 2.0).positions(1.0)
    assert_allclose(halfway, [-1.0, 0.0, 0.0], atol=1e-15)


@pytest.mark.parametrize(("easing", "at_quarter"), [
    ("linear", 0.25), ("ease_in", 0.0625), ("ease_out", 0.4375),
    ("ease_in_out", 0.15625)])
def test_easing_covers_its_fraction_of_the_way(easing, at_quarter):
    # Only the distance moves, so the distance reads the fraction directly.
    sweep = Sweep((30.0, 0.0, 0.2), (30.0, 0.0, 1.0), 8.0, easing=easing)
    fraction = (np.linalg.norm(sweep.positions([2.0]), axis=-1) - 0.2) / 0.8
    assert_allclose(fraction, at_quarter, atol=1e-14)


def test_ease_in_out_is_symmetric_and_passes_the_midpoint_at_half_time():
    sweep = Sweep((30.0, 0.0, 0.2), (30.0, 0.0, 1.0), 8.0, easing="ease_in_out")
    t = np.linspace(0, 8, 81)
    distance = np.linalg.norm(sweep.positions(t), axis=-1)
    assert_allclose(distance + distance[::-1], 1.2, atol=1e-14)
    assert_allclose(distance[40], 0.6, atol=1e-15)


def test_ease_in_and_ease_out_mirror_each_other():
    t = np.linspace(0, 3, 31)
    ease_in = Sweep((0.0, 0.0, 0.2), (0.0, 0.0, 1.0), 3.0, easing="ease_in").positions(t)
    ease_out = Sweep((0.0, 0.0, 1.0), (0.0, 0.0, 0.2), 3.0, easing="ease_out").positions(t)
    assert_allclose(ease_in, ease_out[::-1], atol=1e-14)


def test_ping_pong_reaches_the_end_at_duration_and_returns_to_the_start_at_twice_it():
    start, end = (80.0, 0.0, 0.3), (-80.0, 10.0, 0.5)
    sweep = Sweep(start, end, 2.0, easing="ease_in_out", ping_pong=True)
    xyz = sweep.positions([0.0, 2.0, 4.0, 7.0])
    assert_allclose(xyz, [sph2cart(*p) for p in (start, end, start, start)], atol=1e-15)
    assert sweep.duration == 4.0
    t = np.linspace(0, 2, 21)
    assert_allclose(sweep.positions(4.0 - t), sweep.positions(t), atol=1e-15)


def test_repeated_ping_pong_is_periodic_and_has_no_end():
    sweep = Sweep((80.0, 0.0, 0.3), (-80.0, 10.0, 0.5), 1.5, ping_pong=True, repeat=True)
    t = np.linspace(0, 3, 31)
    assert_allclose(sweep.positions(t + 3.0), sweep.positions(t), atol=1e-14)
    assert sweep.duration is None


def test_repeated_sweep_starts_over_after_each_pass():
    sweep = Sweep((0.0, 0.0, 1.0), (90.0, 0.0, 1.0), 2.0, repeat=True)
    assert_allclose(sweep.positions([2.0, 5.0]), [sph2cart(0.0, 0.0, 1.0),
                                                  sph2cart(45.0, 0.0, 1.0)], atol=1e-15)


# --- Spiral -----------------------------------------------------------------

def test_spiral_distance_runs_log_linearly_from_start_to_end():
    spiral = Spiral(1.2, 0.3, 2.0, 10.0)
    distance = np.linalg.norm(spiral.positions([-1.0, 0.0, 5.0, 10.0, 12.0]), axis=-1)
    assert_allclose(distance, [1.2, 1.2, np.sqrt(1.2 * 0.3), 0.3, 0.3], rtol=1e-14)


@pytest.mark.parametrize(("turns", "direction"), [(3.0, "ccw"), (1.25, "cw"), (0.0, "ccw")])
def test_spiral_turns_its_number_of_turns(turns, direction):
    spiral = Spiral(1.0, 0.4, turns, 6.0, start_azimuth=45.0, direction=direction)
    sph = _sph(spiral, np.linspace(0, 6, 2001))
    sense = 1 if direction == "ccw" else -1
    assert_allclose(sph[0, 0], 45.0, atol=1e-12)
    assert_allclose(sph[-1, 0] - sph[0, 0], sense * turns * 360.0, atol=1e-9)


def test_spiral_elevation_changes_linearly():
    spiral = Spiral(1.0, 0.5, 1.0, 4.0, elevation_start=-20.0, elevation_end=40.0)
    sph = _sph(spiral, [0.0, 1.0, 4.0])
    assert_allclose(sph[:, 1], [-20.0, -5.0, 40.0], atol=1e-12)


# --- Keyframes --------------------------------------------------------------

def test_spherical_keyframes_from_0_to_360_turn_once_round():
    sph = _sph(Keyframes([0.0, 4.0], [(0.0, 0.0, 1.0), (360.0, 0.0, 1.0)]),
               np.linspace(0, 4, 401))
    assert_allclose(sph[-1, 0] - sph[0, 0], 360.0, atol=1e-9)


def test_linear_cartesian_keyframes_move_on_straight_lines():
    path = Keyframes(TIMES, CARTESIAN, coordinates="cartesian")
    a, b = np.array(CARTESIAN[1]), np.array(CARTESIAN[2])
    assert_allclose(path.positions(1.6), a + 0.4 * (b - a), atol=1e-15)


@pytest.mark.parametrize("interpolation", ["linear", "spline"])
@pytest.mark.parametrize(("coordinates", "points"), [("spherical", POINTS),
                                                      ("cartesian", CARTESIAN)])
def test_keyframes_pass_through_every_keyframe_and_hold_outside(interpolation, coordinates,
                                                                 points):
    path = Keyframes(TIMES, points, interpolation, coordinates)
    expected = np.array(points) if coordinates == "cartesian" else sph2cart(*np.array(points).T)
    assert_allclose(path.positions(TIMES), expected, atol=1e-12)
    assert_allclose(path.positions([-3.0, 9.0]), expected[[0, -1]], atol=1e-12)
    assert path.duration == 5.0


@pytest.mark.parametrize("coordinates", ["spherical", "cartesian"])
def test_spline_velocity_is_continuous_across_keyframes(coordinates):
    points = POINTS if coordinates == "spherical" else CARTESIAN
    path = Keyframes(TIMES, points, "spline", coordinates)
    h = 1e-6
    for key in TIMES[1:-1]:
        before, at, after = path.positions([key - h, key, key + h])
        left, right = (at - before) / h, (after - at) / h
        # Finite differences differ by about h times the acceleration.
        assert_allclose(right, left, atol=1e-3 * np.abs(left).max())


def test_linear_keyframes_velocity_jumps_at_keyframes_where_the_spline_does_not():
    h = 1e-6
    jumps = {}
    for interpolation in ("linear", "spline"):
        before, at, after = Keyframes(TIMES, CARTESIAN, interpolation,
                                      "cartesian").positions([1 - h, 1, 1 + h])
        jumps[interpolation] = np.abs((after - at) / h - (at - before) / h).max()
    assert jumps["linear"] > 0.1 > 1e-3 > jumps["spline"]


def test_spline_on_even_keyframes_is_the_uniform_catmull_rom_spline():
    # The textbook matrix form, ends handled by duplicating the end points.
    p = np.array(CARTESIAN)
    padded = np.concatenate([p[:1], p, p[-1:]])
    basis = 0.5 * np.array([[0, 2, 0, 0], [-1, 0, 1, 0], [2, -5, 4, -1], [-1, 3, -3, 1]])
    s = np.linspace(0, 1, 11)[:-1]
    powers = np.stack([s ** 0, s, s ** 2, s ** 3], axis=-1)
    expected = np.concatenate([powers @ basis @ padded[k:k + 4] for k in range(len(p) - 1)])
    t = np.concatenate([k + s for k in range(len(p) - 1)]) * 2.0
    path = Keyframes(np.arange(len(p)) * 2.0, p, "spline", "cartesian")
    assert_allclose(path.positions(t), expected, atol=1e-14)


def test_spherical_spline_interpolates_angles_and_distance_not_xyz():
    path = Keyframes([0.0, 1.0, 2.0], [(0.0, 0.0, 1.0), (180.0, 0.0, 1.0), (360.0, 0.0, 1.0)],
                     "spline")
    distance = np.linalg.norm(path.positions(np.linspace(0, 2, 201)), axis=-1)
    assert_allclose(distance, 1.0, rtol=1e-14)


def test_spherical_spline_max_distance_is_its_exact_peak_including_overshoot():
    path = Keyframes([0.0, 1.0, 1.2, 3.0], [(0.0, 0.0, 0.3), (0.0, 0.0, 1.0),
                                            (0.0, 0.0, 1.0), (0.0, 0.0, 0.3)], "spline")
    peak = np.linalg.norm(path.positions(np.linspace(0, 3, 300001)), axis=-1).max()
    assert peak > 1.01                       # the spline overshoots its keyframes
    assert_allclose(path.max_distance, peak, rtol=1e-9)


def test_a_single_keyframe_is_a_fixed_point():
    for interpolation in ("linear", "spline"):
        path = Keyframes([0.0], [(30.0, 10.0, 0.5)], interpolation)
        assert_allclose(path.positions([0.0, 3.0]), [sph2cart(30.0, 10.0, 0.5)] * 2,
                        atol=1e-15)


# --- Hover ------------------------------------------------------------------

@pytest.mark.parametrize("base", [(30.0, 0.0, 0.3), Orbit(0.5, period=3.0)])
def test_hover_stays_within_its_radius_of_the_base(base):
    hover = Hover(base, radius=0.02, speed=2.0, seed=3)
    base_path = base if isinstance(base, SourcePath) else Fixed(base)
    t = np.linspace(0, 120, 200001)
    distance = np.linalg.norm(hover.positions(t) - base_path.positions(t), axis=-1)
    assert distance.max() <= 0.02
    assert distance.max() > 0.6 * 0.02       # it does use its room
    assert np.median(distance) > 0.25 * 0.02


def test_hover_is_smooth():
    radius, speed, dt = 0.03, 1.5, 1e-3
    offsets = Hover((0.0, 0.0, 0.3), radius, speed, seed=5).offsets(np.arange(0, 60, dt))
    first = np.diff(offsets, axis=0)
    second = np.diff(offsets, n=2, axis=0)
    # A cubic B-spline's velocity is continuous (no step in the first
    # difference) and its acceleration is at most 4 radius (2 speed)^2.
    assert np.abs(second).max() <= 4 * radius * (2 * speed) ** 2 * dt ** 2
    assert np.abs(np.diff(first, axis=0)).max() < 0.01 * np.abs(first).max()


def test_hover_is_the_same_for_the_same_seed_and_differs_across_seeds():
    t = np.linspace(0, 10, 1001)
    first = Hover((0.0, 0.0, 0.3), seed=7).positions(t)
    again = Hover((0.0, 0.0, 0.3), seed=7).positions(t)
    other = Hover((0.0, 0.0, 0.3), seed=8).positions(t)
    assert_array_equal(first, again)
    assert np.abs(first - other).max() > 0.005


def test_hover_takes_the_duration_of_its_base():
    assert Hover(Spiral(1.0, 0.5, 1.0, 6.0)).duration == 6.0
    assert Hover((0.0, 0.0, 1.0)).duration is None


# --- Sequence and Offset ------------------------------------------------------

def test_sequence_switches_segments_at_the_sum_of_the_durations():
    a, b, c = (Fixed(p) for p in [(0.0, 0.0, 1.0), (90.0, 0.0, 1.0), (180.0, 0.0, 1.0)])
    sequence = Sequence([(a, 1.5), (b, 2.0), (c, 0.5)])
    xyz = sequence.positions([-1.0, 0.0, 1.5 - 1e-9, 1.5, 3.5 - 1e-9, 3.5, 4.0, 10.0])
    expected = [a, a, a, b, b, c, c, c]
    assert_allclose(xyz, [p.positions(0.0) for p in expected], atol=1e-15)
    assert_array_equal(sequence.starts, [0.0, 1.5, 3.5])
    assert sequence.duration == 4.0


def test_each_segment_runs_on_its_own_clock_and_the_last_end_is_held():
    orbit = Orbit(0.5, period=4.0, start_azimuth=60.0)
    sweep = Sweep((0.0, 0.0, 1.0), (90.0, 0.0, 0.5), 2.0)
    sequence = Sequence([(orbit, 3.0), sweep])
    assert_allclose(sequence.positions([0.0, 2.0]), orbit.positions([0.0, 2.0]), atol=1e-15)
    assert_allclose(sequence.positions([3.0, 4.0, 5.0, 50.0]),
                    sweep.positions([0.0, 1.0, 2.0, 2.0]), atol=1e-15)
    assert sequence.duration == 5.0


def test_sequence_holds_the_end_of_an_unbounded_last_segment():
    orbit = Orbit(0.5, period=4.0)
    sequence = Sequence([(Fixed((0.0, 0.0, 1.0)), 1.0), (orbit, 1.0)])
    assert_allclose(sequence.positions([2.0, 7.0]), orbit.positions([1.0, 1.0]), atol=1e-15)


def test_offset_holds_the_start_until_its_start_time():
    spiral = Spiral(1.0, 0.5, 1.0, 4.0, start_azimuth=20.0)
    late = Offset(spiral, 2.5)
    assert_allclose(late.positions([0.0, 2.5, 4.5, 10.0]),
                    spiral.positions([0.0, 0.0, 2.0, 4.0]), atol=1e-15)
    assert late.duration == 6.5
    assert Offset(Orbit(1.0, period=2.0), 1.0).duration is None


def test_offset_orbit_does_not_move_before_its_start():
    late = Offset(Orbit(1.0, period=2.0, start_azimuth=90.0), 3.0)
    assert_allclose(late.positions([0.0, 1.0, 3.0]), [[0.0, 1.0, 0.0]] * 3, atol=1e-15)


# --- every path ---------------------------------------------------------------

ALL_PATHS = [
    Fixed((0.1, -0.2, 0.3), coordinates="cartesian"),
    Keyframes(TIMES, POINTS),
    Keyframes(TIMES, POINTS, "spline"),
    Keyframes(TIMES, CARTESIAN, "spline", "cartesian"),
    Orbit(0.3, 20.0, period=5.0, centre=(0.1, 0.05, -0.1)),
    Sweep((90.0, 0.0, 0.3), (-90.0, 0.0, 0.8), 2.0, "ease_out", True, True),
    Spiral(1.5, 0.3, 2.5, 6.0, -10.0, 30.0),
    Hover(Keyframes(TIMES, POINTS, "spline"), 0.05, 1.0, 2),
    Sequence([(Orbit(1.0, period=2.0), 2.0), Keyframes(TIMES, CARTESIAN, "spline", "cartesian")]),
    Offset(Spiral(0.2, 2.0, 1.0, 3.0), 1.0),
]


@pytest.mark.parametrize("path", ALL_PATHS, ids=lambda p: type(p).__name__)
def test_max_distance_bounds_the_distance_from_the_head_centre(path):
    distance = np.linalg.norm(path.positions(np.linspace(-2, 20, 20001)), axis=-1)
    assert distance.max() <= path.max_distance
    assert distance.max() > 0.75 * path.max_distance


@pytest.mark.parametrize("path", ALL_PATHS, ids=lambda p: type(p).__name__)
def test_positions_keep_the_shape_of_the_times(path):
    t = np.linspace(0, 4, 12)
    flat = path.positions(t)
    assert flat.shape == (12, 3)
    assert_array_equal(path.positions(t.reshape(3, 4)), flat.reshape(3, 4, 3))
    assert_array_equal(path.positions(t[5]), flat[5])


@pytest.mark.parametrize(("times", "message"), [
    ([0.0, 1.0, np.nan], "times[2] is nan but must be finite"),
    ([[0.0, 1.0], [-np.inf, 2.0]], "times[1, 0] is -inf but must be finite"),
    (np.nan, "times is nan but must be finite")])
def test_positions_reject_times_that_are_not_finite(times, message):
    for path in (Orbit(1.0, period=1.0), Hover((0.0, 0.0, 1.0))):
        with pytest.raises(ValueError, match=re.escape(message)):
            path.positions(times)
    with pytest.raises(ValueError, match=re.escape(message)):
        Hover((0.0, 0.0, 1.0)).offsets(times)


def test_hover_wanders_on_at_negative_and_huge_times_within_its_radius():
    hover = Hover((0.0, 0.0, 1.0), radius=0.01)
    offsets = hover.offsets([-1e6, -0.3, 1e12, 1e300])
    assert np.all(np.linalg.norm(offsets, axis=-1) <= 0.01)


def test_to_spherical_inverts_sph2cart_and_unwraps_azimuth_on_request():
    azimuth = np.linspace(3, 723, 97)   # no multiple of 360, where rounding may wrap
    xyz = sph2cart(azimuth, 15.0, 0.7)
    assert_allclose(to_spherical(xyz, unwrap=True), np.stack(
        [azimuth, np.full(97, 15.0), np.full(97, 0.7)], axis=-1), atol=1e-10)
    assert_allclose(to_spherical(xyz)[:, 0], azimuth % 360.0, atol=1e-10)


def test_repr_names_the_parameters():
    assert repr(Orbit(0.3, 10.0, period=8.0)) == (
        "Orbit(distance=0.3, elevation=10.0, period=8.0, direction='ccw', "
        "start_azimuth=0.0, centre=(0.0, 0.0, 0.0))")


# --- validation -------------------------------------------------------------

ORBIT = Orbit(1.0, period=1.0)
BAD = [
    (lambda: Fixed((0.0, 95.0, 1.0)), "point[1] is 95.0 but must be in [-90, 90] (degrees)"),
    (lambda: Fixed((0.0, 0.0), "cartesian"), "point is (0.0, 0.0) but must be 3 finite numbers"),
    (lambda: Fixed((0.0, 0.0, 1.0), "polar"),
     "coordinates is 'polar' but must be 'spherical' or 'cartesian'"),
    (lambda: Keyframes([0.0, 1.0], POINTS[:2], "cubic"),
     "interpolation is 'cubic' but must be 'linear' or 'spline'"),
    (lambda: Keyframes([], []), "times is [] but must be a non-empty sequence of finite numbers"),
    (lambda: Keyframes([-1.0, 1.0], POINTS[:2]), "times[0] is -1.0 but must be >= 0"),
    (lambda: Keyframes([0.0, 2.0, 1.0], POINTS[:3]),
     "times[2] is 1.0 but must be > times[1] = 2.0"),
    (lambda: Keyframes([0.0, np.inf], POINTS[:2]), "times[1] is inf but must be a finite number"),
    (lambda: Keyframes([0.0, 1.0], POINTS[:3]),
     "points has shape (3, 3) but must have (2, 3): one point per time"),
    (lambda: Keyframes([0.0, 1.0], [(0.0, 0.0, 1.0), (0.0, 0.0, -0.2)]),
     "points[1][2] is -0.2 but must be > 0"),
    (lambda: Keyframes([0.0, 1.0], [(0.0, 0.0, 1.0), (0.0, np.nan, 1.0)], "spline",
                       "cartesian"), "points[1] is (0.0, nan, 1.0) but must be 3 finite numbers"),
    (lambda: Keyframes([0.0, 1.0, 1.1], [(0.0, 0.0, 3.0), (0.0, 0.0, 0.02), (0.0, 0.0, 0.02)],
                       "spline"),
     "points gives a spline distance of -0.0201347 m between times[1] and times[2] but must "
     "stay > 0"),
    (lambda: Orbit(0.0, period=1.0), "distance is 0.0 but must be > 0"),
    (lambda: Orbit("near", period=1.0), "distance is 'near' but must be a finite number > 0"),
    (lambda: Orbit(1.0, -91.0, period=1.0), "elevation is -91.0 but must be in [-90, 90]"),
    (lambda: Orbit(1.0), "period is None and angular_speed is None but exactly one of them"),
    (lambda: Orbit(1.0, period=2.0, angular_speed=10.0),
     "period is 2.0 and angular_speed is 10.0 but exactly one of them must be given"),
    (lambda: Orbit(1.0, period=-2.0), "period is -2.0 but must be > 0"),
    (lambda: Orbit(1.0, angular_speed=0), "angular_speed is 0.0 but must be > 0"),
    (lambda: Orbit(1.0, period=1.0, direction="left"),
     "direction is 'left' but must be 'ccw' or 'cw'"),
    (lambda: Orbit(1.0, period=1.0, start_azimuth=np.nan),
     "start_azimuth is nan but must be a finite number"),
    (lambda: Orbit(1.0, period=1.0, centre=(0.0, 0.0)),
     "centre is (0.0, 0.0) but must be 3 finite numbers"),
    (lambda: Sweep((0.0, 0.0, 1.0), (0.0, 0.0, 0.0), 1.0), "end[2] is 0.0 but must be > 0"),
    (lambda: Sweep((0.0, 0.0, 1.0), (0.0, 0.0, 1.0), 0.0), "duration is 0.0 but must be > 0"),
    (lambda: Sweep((0.0, 0.0, 1.0), (0.0, 0.0, 1.0), 1.0, "smooth"),
     "easing is 'smooth' but must be 'linear', 'ease_in', 'ease_out' or 'ease_in_out'"),
    (lambda: Sweep((0.0, 0.0, 1.0), (0.0, 0.0, 1.0), 1.0, ping_pong="yes"),
     "ping_pong is 'yes' but must be True or False"),
    (lambda: Sweep((0.0, 0.0, 1.0), (0.0, 0.0, 1.0), 1.0, repeat=1),
     "repeat is 1 but must be True or False"),
    (lambda: Spiral(-1.0, 1.0, 1.0, 1.0), "start_distance is -1.0 but must be > 0"),
    (lambda: Spiral(1.0, 0.0, 1.0, 1.0), "end_distance is 0.0 but must be > 0"),
    (lambda: Spiral(1.0, 1.0, -1.0, 1.0), "turns is -1.0 but must be >= 0"),
    (lambda: Spiral(1.0, 1.0, 1.0, 0.0), "duration is 0.0 but must be > 0"),
    (lambda: Spiral(1.0, 1.0, 1.0, 1.0, elevation_end=100.0),
     "elevation_end is 100.0 but must be in [-90, 90]"),
    (lambda: Spiral(1.0, 1.0, 1.0, 1.0, direction="up"),
     "direction is 'up' but must be 'ccw' or 'cw'"),
    (lambda: Hover((0.0, 0.0)), "base is (0.0, 0.0) but must be a path or 3 finite numbers"),
    (lambda: Hover((0.0, 0.0, 1.0), radius=0.0), "radius is 0.0 but must be > 0"),
    (lambda: Hover((0.0, 0.0, 1.0), speed=-1.0), "speed is -1.0 but must be > 0"),
    (lambda: Hover((0.0, 0.0, 1.0), seed=-3), "seed is -3 but must be an integer >= 0"),
    (lambda: Hover((0.0, 0.0, 1.0), seed=1.5), "seed is 1.5 but must be an integer >= 0"),
    (lambda: Sequence([]), "segments is [] but must be a list with at least one segment"),
    (lambda: Sequence(ORBIT), "but must be a list of paths or (path, seconds) pairs"),
    (lambda: Sequence([ORBIT]),
     "segments[0].duration is None (Orbit has no end) but must be a number: give the "
     "segment as (path, seconds)"),
    (lambda: Sequence([(ORBIT, 1.0), (ORBIT, -1.0)]), "segments[1][1] is -1.0 but must be > 0"),
    (lambda: Sequence([(ORBIT, 1.0), "orbit"]),
     "segments[1] is 'orbit' but must be a path or a (path, seconds) pair"),
    (lambda: Sequence([Keyframes([0.0], [(0.0, 0.0, 1.0)])]),
     "segments[0].duration is 0.0 but must be > 0"),
    (lambda: Offset("orbit", 1.0), "path is 'orbit' but must be a path (Fixed, Keyframes"),
    (lambda: Offset(ORBIT, -1.0), "start is -1.0 but must be >= 0"),
    (lambda: to_spherical([[1.0, 0.0, 0.0]], unwrap="yes"),
     "unwrap is 'yes' but must be True or False"),
]


@pytest.mark.parametrize(("build", "message"), BAD, ids=[m[:40] for _, m in BAD])
def test_bad_parameters_are_rejected_with_what_they_must_be(build, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        build()


@pytest.mark.parametrize(("build", "path", "value"), [
    (lambda: Keyframes([0.0, 1.0], [(0.0, 0.0, 1.0), (0.0, 0.0, -0.2)]), ("points", 1, 2), -0.2),
    (lambda: Keyframes([0.0, 2.0, 1.0], POINTS[:3]), ("times", 2), 1.0),
    (lambda: Sequence([(ORBIT, 1.0), (ORBIT, -1.0)]), ("segments", 1, 1), -1.0),
    (lambda: Orbit(1.0, period=1.0).positions([0.0, np.nan]), ("times", (1,)), np.nan),
])
def test_a_bad_parameter_carries_its_field_path_and_value_as_data(build, path, value):
    with pytest.raises(PathError) as info:
        build()
    assert isinstance(info.value, ArgumentError)
    assert info.value.problem.path == path
    assert_array_equal(info.value.problem.value, value)
    assert str(info.value) == info.value.problem.message


def test_distance_range_is_exact_where_the_path_knows_it_and_sampled_elsewhere():
    assert Fixed((10.0, 5.0, 0.7)).distance_range(3.0) == (0.7, 0.7)
    assert Keyframes(TIMES, POINTS).distance_range(0.0) == (0.3, 1.2)
    straight = Keyframes(TIMES, CARTESIAN, coordinates="cartesian")
    closest, farthest = straight.distance_range(5.0)   # lines pass closer than keyframes
    assert farthest == straight.max_distance
    exact = np.linalg.norm(straight.positions(np.linspace(0.0, 5.0, 500001)), axis=-1).min()
    assert exact - 1e-9 <= closest < exact + 1e-3


def test_distance_range_covers_the_span_asked_for_only():
    # cartesian keyframes: the path is closest near t = 2.5 s (0.37 m), farther
    # on from 3 s; a span from 3.5 s on sees only its own closest point
    straight = Keyframes(TIMES, CARTESIAN, coordinates="cartesian")
    times = np.linspace(3.5, 5.0, 150001)
    exact = np.linalg.norm(straight.positions(times), axis=-1).min()
    closest, _ = straight.distance_range(5.0, start=3.5)
    assert exact - 1e-9 <= closest < exact + 1e-3
    assert closest > straight.distance_range(5.0)[0] + 0.05


def test_paths_are_equal_by_type_and_parameters():
    assert Orbit(1.0, period=2.0) == Orbit(1, period=2)
    assert Orbit(1.0, period=2.0) != Orbit(1.0, period=3.0)
    assert Fixed((0.0, 0.0, 1.0)) != Keyframes([0.0], [(0.0, 0.0, 1.0)])
    assert len({Orbit(1.0, period=2.0), Orbit(1, period=2)}) == 1
