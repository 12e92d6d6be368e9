"""Tests of spatial_asmr.hrtf.sofa: reading and writing SimpleFreeFieldHRIR files."""

import re

import netCDF4
import numpy as np
import pysofaconventions
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from spatial_asmr.errors import HrtfError, HrtfWarning
from spatial_asmr.hrtf.sofa import SofaData, read_sofa, write_sofa

POSITIONS = np.array([
    [0.0, 0.0, 1.0],
    [30.0, 0.0, 1.0],
    [90.0, 0.0, 1.0],
    [150.0, 10.0, 1.0],
    [180.0, 0.0, 1.2],
    [240.0, -20.0, 1.0],
    [270.0, 0.0, 1.0],
    [315.0, 45.0, 2.0],
])


def lateral_irs(positions, n_taps=16, level_db=6.0, seed=0):
    """Responses whose receiver 0 is louder for sources on the left (+y).

    Receiver 0 gets ``+level_db * sin(azimuth)`` and receiver 1 the opposite,
    so the interaural level difference is ``2 * level_db * sin(azimuth)`` dB.
    """
    rng = np.random.default_rng(seed)
    ir = rng.standard_normal((len(positions), 2, n_taps))
    ir /= np.sqrt(np.sum(ir ** 2, axis=-1, keepdims=True))
    side = np.sin(np.radians(positions[:, 0]))
    gain = 10 ** (level_db * np.stack([side, -side], axis=1) / 20)
    return ir * gain[..., None]


def diotic_irs(rng, n_measurements, n_taps):
    """Random responses, the same at both ears: no evidence about the ear order."""
    return np.repeat(rng.standard_normal((n_measurements, 1, n_taps)), 2, axis=1)


def spherical_to_xyz(positions):
    az, el = np.radians(positions[:, 0]), np.radians(positions[:, 1])
    r = positions[:, 2]
    return np.stack([r * np.cos(el) * np.cos(az), r * np.cos(el) * np.sin(az),
                     r * np.sin(el)], axis=1)


def assert_same_directions(actual, expected, atol=1e-9):
    """Positions agree; azimuths compared on the circle (359.999... == 0)."""
    azimuth_error = (actual[:, 0] - expected[:, 0] + 180.0) % 360.0 - 180.0
    assert_allclose(azimuth_error, 0.0, atol=atol)
    assert_allclose(actual[:, 1:], expected[:, 1:], rtol=0, atol=atol)


def write_minimal_sofa(path, *, conventions="SOFA", convention="SimpleFreeFieldHRIR",
                       n_measurements=4, n_receivers=2, n_taps=8, source_rows=None,
                       skip=(), ir=None, delay=None, distance=1.0, source_type="spherical"):
    """Write a small SimpleFreeFieldHRIR file with netCDF4, optionally broken.

    Parameters
    ----------
    conventions, convention : str
        Global attributes ``Conventions`` and ``SOFAConventions``.
    n_measurements, n_receivers, n_taps : int
        ``M``, ``R`` and ``N``.
    source_rows : int, optional
        Rows of ``SourcePosition``; ``M`` by default.
    skip : sequence of str
        Variables left out of the file.
    ir : ndarray, shape (M, R, N), optional
        ``Data.IR``; by default a decaying noise, the same at every receiver
        (so that the ear order stays as declared).
    delay : ndarray, shape (1, R), optional
        ``Data.Delay``; zeros by default.
    distance : float
        Distance of every source, metres.
    source_type : str
        ``SourcePosition.Type``.
    """
    m, r, n = n_measurements, n_receivers, n_taps
    rows = m if source_rows is None else source_rows
    if ir is None:
        noise = np.random.default_rng(1).standard_normal((m, 1, n)) * 0.5 ** np.arange(n)
        ir = np.repeat(noise, r, axis=1)
    if delay is None:
        delay = np.zeros((1, r))
    with netCDF4.Dataset(str(path), "w", format="NETCDF4") as ds:
        attributes = {
            "Conventions": conventions, "Version": "1.0", "SOFAConventions": convention,
            "SOFAConventionsVersion": "1.0", "APIName": "tests", "APIVersion": "1.0",
            "AuthorContact": "", "Organization": "", "License": "none", "DataType": "FIR",
            "RoomType": "free field", "DateCreated": "2024-01-01 00:00:00",
            "DateModified": "2024-01-01 00:00:00", "Title": "test file",
            "ListenerShortName": "", "DatabaseName": "tests"}
        for name, value in attributes.items():
            ds.setncattr(name, value)
        for name, size in (("M", m), ("R", r), ("N", n), ("E", 1), ("I", 1), ("C", 3)):
            ds.createDimension(name, size)
        if rows != m:
            ds.createDimension("Msource", rows)

        def variable(name, dims, value, **attrs):
            if name in skip:
                return
            var = ds.createVariable(name, "f8", dims)
            for key, text in attrs.items():
                var.setncattr(key, text)
            var[:] = value

        cartesian = {"Type": "cartesian", "Units": "metre"}
        variable("ListenerPosition", ("I", "C"), np.zeros((1, 3)), **cartesian)
        variable("ListenerUp", ("I", "C"), [[0.0, 0.0, 1.0]])
        variable("ListenerView", ("I", "C"), [[1.0, 0.0, 0.0]], **cartesian)
        ears = np.zeros((r, 3, 1))
        ears[:, 1, 0] = np.linspace(0.09, -0.09, r)
        variable("ReceiverPosition", ("R", "C", "I"), ears, **cartesian)
        sources = np.zeros((rows, 3))
        sources[:, 0] = np.arange(rows) * 360.0 / max(rows, 1)
        sources[:, 2] = distance
        variable("SourcePosition", ("Msource" if rows != m else "M", "C"), sources,
                 Type=source_type, Units="degree, degree, metre")
        variable("EmitterPosition", ("E", "C", "I"), np.zeros((1, 3, 1)), **cartesian)
        variable("Data.IR", ("M", "R", "N"), ir)
        variable("Data.SamplingRate", ("I",), [48000.0], Units="hertz")
        variable("Data.Delay", ("I", "R"), delay)
    return path


# -- writing and reading back -------------------------------------------------


@pytest.mark.parametrize("delay_shape", [(1, 2), (8, 2)], ids=["one delay", "per measurement"])
def test_a_written_file_reads_back_exactly(tmp_path, rng, delay_shape):
    ir = lateral_irs(POSITIONS, n_taps=32)  # the ears differ: a swap would show
    delays = rng.uniform(0.0, 20.0, delay_shape)
    path = tmp_path / "roundtrip.sofa"

    write_sofa(path, ir, POSITIONS, 44100, delays=delays)
    data = read_sofa(path)

    assert isinstance(data, SofaData)
    assert_array_equal(data.ir, ir)
    assert_array_equal(data.source_positions, POSITIONS)
    assert_array_equal(data.delays, np.broadcast_to(delays, (len(POSITIONS), 2)))
    assert data.sample_rate == 44100.0
    assert data.path == path
    assert data.ear_order_corrected is False
    assert data.attributes["SOFAConventions"] == "SimpleFreeFieldHRIR"


def test_a_written_file_passes_the_pysofaconventions_checker(tmp_path, rng):
    path = tmp_path / "valid.sofa"
    write_sofa(path, diotic_irs(rng, len(POSITIONS), 32), POSITIONS, 48000,
               delays=rng.uniform(0.0, 3.0, (len(POSITIONS), 2)))

    sofa = pysofaconventions.SOFASimpleFreeFieldHRIR(str(path), "r")
    try:
        assert sofa.isValid()
    finally:
        sofa.close()


def test_the_distances_of_a_file_are_its_distinct_rounded_distances(tmp_path, rng):
    positions = POSITIONS.copy()
    positions[0, 2] = 1.0004  # 1.000 when rounded to 1 mm
    path = tmp_path / "d.sofa"
    write_sofa(path, diotic_irs(rng, 8, 4), positions, 48000)

    data = read_sofa(path)

    assert_array_equal(data.distances, [1.0, 1.2, 2.0])


def test_the_bundled_kemar_file_has_710_directions_of_512_taps_at_44_1_khz(kemar_path):
    data = read_sofa(kemar_path)

    assert data.ir.shape == (710, 2, 512)
    assert data.source_positions.shape == (710, 3)
    assert data.sample_rate == 44100.0
    assert_array_equal(data.distances, [1.4])
    assert data.source_positions[:, 1].min() == -40.0
    assert data.source_positions[:, 1].max() == 90.0
    assert data.ear_order_corrected is False


@pytest.mark.parametrize(("azimuth", "louder"), [(90.0, 0), (270.0, 1)],
                         ids=["left source", "right source"])
def test_kemar_is_louder_at_the_ear_facing_the_source(kemar_path, azimuth, louder):
    data = read_sofa(kemar_path)
    (row,) = np.nonzero((data.source_positions[:, 0] == azimuth)
                        & (data.source_positions[:, 1] == 0.0))[0]

    energy = np.sum(data.ir[row] ** 2, axis=-1)

    level_difference_db = 10 * np.log10(energy[louder] / energy[1 - louder])
    assert level_difference_db > 10.0


# -- positions and delays -------------------------------------------------------


def test_cartesian_source_positions_are_converted_to_spherical(tmp_path, rng):
    path = tmp_path / "cartesian.sofa"
    write_sofa(path, diotic_irs(rng, len(POSITIONS), 8), POSITIONS, 48000)
    with netCDF4.Dataset(str(path), "a") as ds:
        var = ds.variables["SourcePosition"]
        var.Type = "cartesian"
        var.Units = "metre"
        var[:] = spherical_to_xyz(POSITIONS)

    data = read_sofa(path)

    assert_same_directions(data.source_positions, POSITIONS)
    assert np.all((data.source_positions[:, 0] >= 0) & (data.source_positions[:, 0] < 360))


def test_spherical_azimuths_are_wrapped_into_0_to_360(tmp_path, rng):
    positions = POSITIONS.copy()
    positions[:, 0] -= 180.0  # -180 .. 135
    path = tmp_path / "signed.sofa"
    write_sofa(path, diotic_irs(rng, 8, 8), positions, 48000)

    data = read_sofa(path)

    assert_allclose(data.source_positions[:, 0], (POSITIONS[:, 0] + 180.0) % 360.0,
                    rtol=0, atol=1e-12)


def test_spherical_source_positions_in_radians_are_converted_to_degrees(tmp_path, rng):
    path = tmp_path / "radians.sofa"
    write_sofa(path, diotic_irs(rng, len(POSITIONS), 8), POSITIONS, 48000)
    with netCDF4.Dataset(str(path), "a") as ds:
        var = ds.variables["SourcePosition"]
        var.Units = "radian, radian, metre"
        var[:] = np.column_stack([np.radians(POSITIONS[:, :2]), POSITIONS[:, 2]])

    data = read_sofa(path)

    assert_same_directions(data.source_positions, POSITIONS)


@pytest.mark.parametrize("delay", [np.array([[2.0, 5.5]]),
                                   np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.5]])],
                         ids=["(1, R)", "(M, R)"])
def test_data_delay_is_read_per_measurement_and_ear(tmp_path, delay):
    path = tmp_path / "delay.sofa"
    write_minimal_sofa(path, skip=("Data.Delay",))
    with netCDF4.Dataset(str(path), "a") as ds:
        dims = ("I", "R") if delay.shape[0] == 1 else ("M", "R")
        ds.createVariable("Data.Delay", "f8", dims)[:] = delay

    data = read_sofa(path)

    assert_array_equal(data.delays, np.broadcast_to(delay, (4, 2)))


# -- ear order --------------------------------------------------------------------


def test_a_mirrored_receiver_position_is_overruled_by_the_responses_with_a_warning(
        tmp_path, rng):
    # Receiver 0 is declared at -y (right) but is louder for sources on the left.
    ir = lateral_irs(POSITIONS)
    delays = rng.uniform(0.0, 4.0, (len(POSITIONS), 2))
    path = tmp_path / "mirrored.sofa"
    write_sofa(path, ir, POSITIONS, 48000, delays=delays, receiver_y=-0.0875)

    with pytest.warns(HrtfWarning, match=re.escape(str(path)) + r".*ReceiverPosition puts "
                      r"the left ear at receiver 1.*receiver 0 as the left ear"):
        data = read_sofa(path)

    assert data.ear_order_corrected is True
    assert_array_equal(data.ir, ir)
    assert_array_equal(data.delays, delays)


def test_a_file_whose_left_ear_is_receiver_1_is_reordered_without_a_warning(tmp_path, rng):
    # Receiver 1 is declared at +y (left) and is louder for sources on the left.
    ir = lateral_irs(POSITIONS)[:, ::-1]
    delays = rng.uniform(0.0, 4.0, (len(POSITIONS), 2))
    path = tmp_path / "swapped.sofa"
    write_sofa(path, ir, POSITIONS, 48000, delays=delays, receiver_y=-0.0875)

    data = read_sofa(path)  # filterwarnings = error: no warning may be issued

    assert data.ear_order_corrected is False
    assert_array_equal(data.ir[:, 0], ir[:, 1])
    assert_array_equal(data.ir[:, 1], ir[:, 0])
    assert_array_equal(data.delays[:, 0], delays[:, 1])
    assert_array_equal(data.delays[:, 1], delays[:, 0])


# -- broken files -------------------------------------------------------------------


def _nan_ir():
    ir = np.ones((4, 2, 8))
    ir[2, 1, 5] = np.nan
    return ir


BROKEN = {
    "not HDF5": (lambda path: path.write_text("this is not a SOFA file\n"),
                 r"is not a SOFA file \(cannot be opened as netCDF-4/HDF5"),
    "missing": (lambda path: None, r"does not exist"),
    "not SOFA": (lambda path: write_minimal_sofa(path, conventions="netCDF"),
                 r"Conventions is 'netCDF' but must be 'SOFA'"),
    "GeneralFIR": (lambda path: write_minimal_sofa(path, convention="GeneralFIR"),
                   r"SOFAConventions is 'GeneralFIR' but must be 'SimpleFreeFieldHRIR'"),
    "no Data.IR": (lambda path: write_minimal_sofa(path, skip=("Data.IR",)),
                   r"variable Data.IR is missing but is required"),
    "no Data.SamplingRate": (lambda path: write_minimal_sofa(path, skip=("Data.SamplingRate",)),
                             r"variable Data.SamplingRate is missing but is required"),
    "no SourcePosition": (lambda path: write_minimal_sofa(path, skip=("SourcePosition",)),
                          r"variable SourcePosition is missing but is required"),
    "no ReceiverPosition": (lambda path: write_minimal_sofa(path, skip=("ReceiverPosition",)),
                            r"variable ReceiverPosition is missing but is required"),
    "no Data.Delay": (lambda path: write_minimal_sofa(path, skip=("Data.Delay",)),
                      r"Missing Data.Delay"),
    "NaN in Data.IR": (lambda path: write_minimal_sofa(path, ir=_nan_ir()),
                       r"Data.IR has 1 NaN or infinite values but must be finite"),
    "SourcePosition M-1 rows": (lambda path: write_minimal_sofa(path, source_rows=3),
                                r"SourcePosition has shape \(3, 3\) but must be \(4, 3\)"),
    "3 receivers": (lambda path: write_minimal_sofa(path, n_receivers=3),
                    r"Data.IR has 3 receivers \(R\) but must have 2"),
    "negative delay": (lambda path: write_minimal_sofa(path, delay=np.array([[0.0, -1.0]])),
                       r"Data.Delay has negative or non-finite values but must be >= 0"),
    "zero distance": (lambda path: write_minimal_sofa(path, distance=0.0),
                      r"SourcePosition has distances <= 0"),
    "unknown position type": (lambda path: write_minimal_sofa(path, source_type="polar"),
                              r"SourcePosition.Type is 'polar' but must be 'cartesian' "
                              r"or 'spherical'"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_each_broken_file_raises_hrtf_error_naming_the_file_and_the_problem(tmp_path, case):
    make, problem = BROKEN[case]
    path = tmp_path / "broken.sofa"
    make(path)

    with pytest.raises(HrtfError, match=re.escape(str(path)) + ".*" + problem):
        read_sofa(path)


def test_the_unbroken_minimal_file_reads(tmp_path):
    # The broken files above differ from this one in one respect each.
    path = write_minimal_sofa(tmp_path / "minimal.sofa")

    data = read_sofa(path)

    assert data.ir.shape == (4, 2, 8)
    assert_array_equal(data.source_positions[:, 0], [0.0, 90.0, 180.0, 270.0])
    assert data.sample_rate == 48000.0


def test_a_file_with_several_problems_lists_them_all(tmp_path):
    path = tmp_path / "broken.sofa"
    write_minimal_sofa(path, n_receivers=3, source_rows=3)

    with pytest.raises(HrtfError, match=re.escape(str(path)) + r": 2 problems:\n"
                       r"- Data.IR has 3 receivers.*\n- SourcePosition has shape"):
        read_sofa(path)


def test_hrtf_error_can_be_caught_as_value_error(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        read_sofa(tmp_path / "nothing.sofa")
