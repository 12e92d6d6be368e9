"""Reading and writing SOFA files (AES69, convention SimpleFreeFieldHRIR).

The reader validates the file with pysofaconventions, then reads the
variables itself so that every problem is reported with the file name and
what was expected.  SOFA 0.6 and 1.x files are accepted, spherical and
cartesian ``SourcePosition`` alike, and ``Data.Delay`` is honoured.
"""

__all__ = ["SofaData", "read_sofa", "write_sofa"]

import datetime
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..checks import check_array, check_number, check_path, check_values, must_be
from ..errors import HrtfError, HrtfWarning
from ..motion.coordinates import cart2sph, sph2cart


@dataclass
class SofaData:
    """HRIRs as read from a SimpleFreeFieldHRIR SOFA file.

    Attributes
    ----------
    ir : ndarray, shape (n_measurements, 2, n_taps)
        Impulse responses; ear axis ordered (left, right).
    source_positions : ndarray, shape (n_measurements, 3)
        Azimuth (degrees, [0, 360)), elevation (degrees), distance (metres).
    delays : ndarray, shape (n_measurements, 2)
        ``Data.Delay`` in samples, per measurement and ear (left, right).
    sample_rate : float
        Hz.
    path : pathlib.Path
        The file read.
    attributes : dict
        Global attributes of the file.
    ear_order_corrected : bool
        True if the data's receivers were reordered because the acoustic
        evidence contradicted ``ReceiverPosition``.
    """

    ir: np.ndarray
    source_positions: np.ndarray
    delays: np.ndarray
    sample_rate: float
    path: Path
    attributes: dict = field(default_factory=dict)
    ear_order_corrected: bool = False

    @property
    def distances(self):
        """Distinct measurement distances in metres, ascending (rounded to 1 mm)."""
        return np.unique(np.round(self.source_positions[:, 2], 3))


def _position_type(var):
    kind = str(getattr(var, "Type", "cartesian")).strip().lower()
    return kind


def _positions_as_spherical(var, name, problems):
    values = np.asarray(var[:], dtype=float)
    if values.ndim != 2 or values.shape[1] != 3:
        problems.append(f"{name} has shape {values.shape} but must be (M, 3)")
        return None
    kind = _position_type(var)
    if kind == "spherical":
        units = str(getattr(var, "Units", "degree, degree, metre")).lower()
        if "rad" in units.split(",")[0]:
            values = values.copy()
            values[:, :2] = np.degrees(values[:, :2])
        sph = values.copy()
        sph[:, 0] %= 360.0
        return sph
    if kind == "cartesian":
        return cart2sph(values)
    problems.append(must_be(f"{name}.Type", kind, "'cartesian' or 'spherical'", show=repr))
    return None


def _receiver_y(var):
    """Lateral (y) coordinate of each receiver, shape (R,)."""
    values = np.asarray(var[:], dtype=float)
    values = values.reshape(values.shape[0], 3, -1)[:, :, 0]
    if _position_type(var) == "spherical":
        values = sph2cart(values[:, 0], values[:, 1], values[:, 2])
    return values[:, 1]


def _acoustic_left_receiver(ir, sph):
    """Which receiver index the data say is the left ear, or None if unclear.

    For sources on the left (azimuth 30..150 degrees, |elevation| < 45) the
    left ear receives more energy; on the right the other way round.
    """
    az, el = sph[:, 0], sph[:, 1]
    energy = np.sum(ir.astype(float) ** 2, axis=-1)
    with np.errstate(divide="ignore"):
        level = 10 * np.log10(np.maximum(energy, 1e-30))
    ild = level[:, 0] - level[:, 1]
    flat = np.abs(el) < 45
    left = flat & (az > 30) & (az < 150)
    right = flat & (az > 210) & (az < 330)
    if not left.any() or not right.any():
        return None
    evidence = np.mean(ild[left]) - np.mean(ild[right])
    if abs(evidence) < 3.0:
        return None
    return 0 if evidence > 0 else 1


def read_sofa(path):
    """Read a SimpleFreeFieldHRIR SOFA file.

    Parameters
    ----------
    path : str or pathlib.Path
        The SOFA file.

    Returns
    -------
    SofaData
        Responses with ears ordered (left, right).

    Raises
    ------
    HrtfError
        If the file is missing, not a SOFA file, of another convention, or
        its data are inconsistent; the message names the file and lists
        every problem.
    """
    import netCDF4
    import pysofaconventions

    path = sofa_file("path", path)
    try:
        dataset = netCDF4.Dataset(str(path), "r")
    except OSError as exc:
        raise HrtfError(
            f"{path}: is not a SOFA file (cannot be opened as netCDF-4/HDF5: "
            f"{exc.strerror or exc})") from None
    try:
        attributes = {k: dataset.getncattr(k) for k in dataset.ncattrs()}
        if attributes.get("Conventions") != "SOFA":
            raise HrtfError(f"{path}: " + must_be("global attribute Conventions",
                                                  attributes.get("Conventions"), "'SOFA'",
                                                  show=repr))
        convention = attributes.get("SOFAConventions")
        if convention != "SimpleFreeFieldHRIR":
            raise HrtfError(f"{path}: " + must_be("SOFAConventions", convention,
                                                  "'SimpleFreeFieldHRIR'", show=repr))
        problems = _check_variables(dataset)
        if problems:
            raise HrtfError(_problem_text(path, problems))
        data = _read_variables(dataset, path, attributes)
    finally:
        dataset.close()

    # The convention checker of pysofaconventions; its verdicts arrive as
    # warnings, which are collected into one error.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sofa = pysofaconventions.SOFASimpleFreeFieldHRIR(str(path), "r")
        try:
            valid = sofa.isValid()
        finally:
            sofa.close()
    if not valid:
        reasons = [str(w.message) for w in caught] or ["unknown reason"]
        raise HrtfError(_problem_text(path, reasons))
    return data


def sofa_file(name, value):
    """The path of an existing SOFA file, checked.

    Parameters
    ----------
    name : str
        Argument name, for the message.
    value : str or os.PathLike

    Returns
    -------
    pathlib.Path

    Raises
    ------
    HrtfError
        If ``value`` is not a path, names nothing or names a folder.
    """
    path = check_path(name, value, HrtfError, "the path of a .sofa file")
    if path.is_dir():
        raise HrtfError(f"HRTF file {str(path)!r} is a folder but must be a .sofa file")
    if not path.is_file():
        raise HrtfError(f"HRTF file {str(path)!r} does not exist")
    return path


def sofa_destination(path):
    """``path``, where a SOFA file is to be written, as a pathlib.Path.

    Raises :class:`HrtfError` if it is not a path, :class:`OutputError` if
    it is a folder.
    """
    from ..errors import OutputError

    path = check_path("path", path, HrtfError, "the path of the .sofa file to write")
    if path.is_dir():
        raise OutputError(f"output file {str(path)!r} is a folder but must be a file")
    return path


def check_positive(name, value, unit):
    """A finite number > 0, as a float; :class:`HrtfError` otherwise.

    Parameters
    ----------
    name : str
        Argument name, for the message.
    value : object
    unit : str
        Unit in the message: "sample_rate is 0 but must be a number of Hz > 0".

    Returns
    -------
    float
    """
    return check_number(name, value, HrtfError, f"a number of {unit} > 0", lambda v: v > 0)


def check_hrirs(ir, positions, delays, names=("ir", "positions", "delays")):
    """Check a set of HRIRs, the positions they were measured at and their delays.

    Parameters
    ----------
    ir : array_like, shape (M, 2, N)
        Impulse responses, ``M >= 1`` measurements of ``N >= 1`` taps, finite.
    positions : array_like, shape (M, 3)
        Azimuth, elevation (degrees), distance (metres, > 0), finite.
    delays : array_like, shape (M, 2) or (1, 2), or None
        Delays in samples, finite and >= 0.
    names : tuple of str
        The three argument names, for the messages.

    Returns
    -------
    ir, positions : ndarray of float64
    delays : ndarray of float64 or None
        As given (not broadcast to ``(M, 2)``).

    Raises
    ------
    HrtfError
        Naming the argument, its shape or values, and what is allowed.
    """
    ir_name, positions_name, delays_name = names
    ir = check_array(ir_name, ir, HrtfError, shape=("M", 2, "N"))
    if 0 in ir.shape:
        raise HrtfError(f"{ir_name} has shape {ir.shape} but must have at least one "
                         "measurement (M) and one tap (N)")
    m = len(ir)
    positions = check_array(positions_name, positions, HrtfError, shape=(m, 3))
    check_values(lambda i: f"{positions_name}[{i[0]}, 2] (a distance)", positions[:, 2],
                  HrtfError, "> 0 m", lambda d: d > 0)
    if delays is not None:
        delays = check_array(delays_name, delays, HrtfError)
        if delays.shape not in ((m, 2), (1, 2)):
            raise HrtfError(f"{delays_name} has shape {delays.shape} but must be "
                             f"({m}, 2) or (1, 2)")
        check_values(delays_name, delays, HrtfError, ">= 0 samples", lambda d: d >= 0)
    return ir, positions, delays


def _problem_text(path, problems):
    if len(problems) == 1:
        return f"{path}: {problems[0]}"
    return f"{path}: {len(problems)} problems:\n" + "\n".join(
        f"- {p}" for p in problems)


_REQUIRED = ("Data.IR", "Data.SamplingRate", "SourcePosition", "ReceiverPosition")


def _check_variables(dataset):
    problems = []
    for name in _REQUIRED:
        if name not in dataset.variables:
            problems.append(f"variable {name} is missing but is required")
    if problems:
        return problems
    ir = dataset.variables["Data.IR"]
    if ir.ndim != 3:
        problems.append(f"Data.IR has shape {ir.shape} but must be (M, R, N)")
        return problems
    m, r, n = ir.shape
    if r != 2:
        problems.append(f"Data.IR has {r} receivers (R) but must have 2 (left and right ear)")
    if n < 1:
        problems.append("Data.IR has 0 taps (N) but must have at least 1")
    sp = dataset.variables["SourcePosition"]
    if sp.ndim != 2 or sp.shape[1] != 3 or sp.shape[0] not in (1, m):
        problems.append(f"SourcePosition has shape {sp.shape} but must be ({m}, 3) "
                        "to match Data.IR (M, R, N)")
    rp = dataset.variables["ReceiverPosition"]
    if rp.shape[0] != r or (rp.ndim > 1 and rp.shape[1] != 3):
        problems.append(f"ReceiverPosition has shape {rp.shape} but must be ({r}, 3, I)")
    if "Data.Delay" in dataset.variables:
        delay = dataset.variables["Data.Delay"]
        if delay.ndim != 2 or delay.shape[0] not in (1, m) or delay.shape[1] != r:
            problems.append(f"Data.Delay has shape {delay.shape} but must be "
                            f"(1, {r}) or ({m}, {r})")
    rate = np.asarray(dataset.variables["Data.SamplingRate"][:], dtype=float).ravel()
    if rate.size != 1 or not np.isfinite(rate).all() or rate[0] <= 0:
        problems.append(must_be("Data.SamplingRate", rate.tolist(), "one positive number "
                                "(per-measurement rates are not supported)", show=str))
    return problems


def _read_variables(dataset, path, attributes):
    problems = []
    raw = dataset.variables["Data.IR"][:]
    ir = np.ma.filled(np.ma.asarray(raw, dtype=float), np.nan)
    if not np.isfinite(ir).all():
        bad = int(np.sum(~np.isfinite(ir)))
        problems.append(f"Data.IR has {bad} NaN or infinite values but must be finite")
    m = ir.shape[0]
    sph = _positions_as_spherical(dataset.variables["SourcePosition"],
                                  "SourcePosition", problems)
    if sph is not None:
        if sph.shape[0] == 1 and m > 1:
            sph = np.repeat(sph, m, axis=0)
        if not np.isfinite(sph).all():
            problems.append("SourcePosition has NaN or infinite values but must be finite")
        elif (sph[:, 2] <= 0).any():
            problems.append("SourcePosition has distances <= 0 but every source "
                            "must be away from the head centre")
    rate = float(np.asarray(dataset.variables["Data.SamplingRate"][:]).ravel()[0])
    if "Data.Delay" in dataset.variables:
        delays = np.asarray(dataset.variables["Data.Delay"][:], dtype=float)
        if not np.isfinite(delays).all() or (delays < 0).any():
            problems.append("Data.Delay has negative or non-finite values but must be >= 0")
        delays = np.broadcast_to(delays, (m, 2)).copy()
    else:
        delays = np.zeros((m, 2))
    if problems:
        raise HrtfError(_problem_text(path, problems))

    # Ear order: ReceiverPosition says which receiver is on the left (+y);
    # some published files carry a mirrored ReceiverPosition, so the data
    # get the last word when they clearly disagree.
    y = _receiver_y(dataset.variables["ReceiverPosition"])
    declared = None if np.isclose(y[0], y[1]) else (0 if y[0] > y[1] else 1)
    acoustic = _acoustic_left_receiver(ir, sph)
    left = declared if declared is not None else acoustic
    corrected = False
    if left is None:
        left = 0
    if acoustic is not None and declared is not None and acoustic != declared:
        warnings.warn(
            f"{path}: ReceiverPosition puts the left ear at receiver {declared} "
            f"but the responses (louder for sources on the left) put it at "
            f"receiver {acoustic}; using receiver {acoustic} as the left ear",
            HrtfWarning, stacklevel=3)
        left = acoustic
        corrected = True
    if left == 1:
        ir = ir[:, ::-1]
        delays = delays[:, ::-1]
    return SofaData(ir=np.ascontiguousarray(ir), source_positions=sph,
                    delays=np.ascontiguousarray(delays), sample_rate=rate,
                    path=path, attributes=attributes,
                    ear_order_corrected=corrected)


def write_sofa(path, ir, source_positions, sample_rate, *, delays=None,
               receiver_y=0.0875, title="", listener="", database="spatial-asmr",
               comment="", license="", references="", history=""):
    """Write HRIRs as a SimpleFreeFieldHRIR 1.0 SOFA file.

    Parameters
    ----------
    path : str or pathlib.Path
        Destination.
    ir : array_like, shape (n_measurements, 2, n_taps)
        Impulse responses, ear axis (left, right).
    source_positions : array_like, shape (n_measurements, 3)
        Azimuth (degrees), elevation (degrees), distance (metres).
    sample_rate : float
        Hz.
    delays : array_like, shape (n_measurements, 2) or (1, 2), optional
        ``Data.Delay`` in samples; zeros by default.
    receiver_y : float, optional
        Ear distance from the head centre in metres (left at +y), finite.
    title, listener, database, comment, license, references, history : str
        Global attributes.

    Raises
    ------
    HrtfError
        If an argument has the wrong type, shape or values (NaN, infinite,
        a distance or rate <= 0, a negative delay); nothing is written.
    OutputError
        If the file cannot be written (``path`` is a folder, its folder does
        not exist or is read-only); an existing file is left as it was.
    """
    import netCDF4

    from ..output.files import atomic_path, writing

    path = sofa_destination(path)
    ir, pos, delays = check_hrirs(ir, source_positions, delays,
                                  ("ir", "source_positions", "delays"))
    sample_rate = check_positive("sample_rate", sample_rate, "Hz")
    # any sign: a file with a mirrored ReceiverPosition is a legitimate one to write
    receiver_y = check_number("receiver_y", receiver_y, HrtfError, "a finite number of metres")
    attributes = {"title": title, "listener": listener, "database": database,
                  "comment": comment, "license": license, "references": references,
                  "history": history}
    for key, value in attributes.items():
        if not isinstance(value, str):
            raise HrtfError(must_be(key, value, "a str"))
    m, r, n = ir.shape
    if delays is None:
        delays = np.zeros((1, r))
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    # written under a temporary name and renamed: a failure leaves no half-written file
    with atomic_path(path) as tmp, writing(path), \
            netCDF4.Dataset(tmp, "w", format="NETCDF4") as ds:
        ds.Conventions = "SOFA"
        ds.Version = "1.0"
        ds.SOFAConventions = "SimpleFreeFieldHRIR"
        ds.SOFAConventionsVersion = "1.0"
        ds.APIName = "spatial-asmr"
        ds.APIVersion = "1.0"
        ds.DataType = "FIR"
        ds.RoomType = "free field"
        ds.DateCreated = now
        ds.DateModified = now
        ds.Title = title
        ds.AuthorContact = ""
        ds.Organization = ""
        ds.License = license or "No license provided"
        ds.ApplicationName = "spatial-asmr"
        ds.ApplicationVersion = "1.0"
        ds.Comment = comment
        ds.History = history
        ds.References = references
        ds.Origin = ""
        ds.DatabaseName = database
        ds.ListenerShortName = listener
        for dim, size in (("M", m), ("R", r), ("N", n), ("E", 1), ("I", 1), ("C", 3)):
            ds.createDimension(dim, size)
        ds.createDimension("S", 0)

        def position(name, dims, value, kind="cartesian", units="metre"):
            var = ds.createVariable(name, "f8", dims)
            var.Type = kind
            var.Units = units
            var[:] = value

        position("ListenerPosition", ("I", "C"), [[0.0, 0.0, 0.0]])
        up = ds.createVariable("ListenerUp", "f8", ("I", "C"))
        up[:] = [[0.0, 0.0, 1.0]]
        position("ListenerView", ("I", "C"), [[1.0, 0.0, 0.0]])
        position("ReceiverPosition", ("R", "C", "I"),
                 np.array([[0.0, receiver_y, 0.0], [0.0, -receiver_y, 0.0]])[:r, :, None])
        position("SourcePosition", ("M", "C"), pos, "spherical", "degree, degree, metre")
        position("EmitterPosition", ("E", "C", "I"), np.zeros((1, 3, 1)))
        data = ds.createVariable("Data.IR", "f8", ("M", "R", "N"))
        data.ChannelOrdering = "acn"
        data.Normalization = "sn3d"
        data[:] = ir
        rate = ds.createVariable("Data.SamplingRate", "f8", ("I",))
        rate.Units = "hertz"
        rate[:] = [float(sample_rate)]
        delay = ds.createVariable("Data.Delay", "f8", (("I", "R") if delays.shape[0] == 1
                                                       else ("M", "R")))
        delay[:] = delays
