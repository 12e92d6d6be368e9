"""Sidecars: what re-renders an output exactly, and what a dataset trains on.

Beside every batch output ``NAME.wav`` lies ``NAME.json``:

``key``
    The output's key (see :func:`spatial_asmr.batch.output_key`).
``scene``
    The resolved scene (:func:`spatial_asmr.scene.resolved.resolved_scene`):
    every default filled in, seeds, absolute paths, the rendered duration.
``hrtf``, ``files``
    The HRTF set's name, path and SHA-256, and the SHA-256 of every audio
    file the scene reads.
``report``
    The render report (length, rate, peak dBTP, LUFS, limiter, wall time).
``sources``
    Per source: its name, label (generator type, or the source name for
    files), seed, its active intervals (seconds, where its own signal
    peaks above -80 dBFS in 100 ms frames), and its position relative to
    the listener's head (after head turns) every 100 ms: azimuth (degrees,
    (-180, 180], counter-clockwise, 90 = left), elevation (degrees) and
    distance (metres from the head centre).

``spatial-asmr render --from NAME.json`` renders it again (it refuses if a
file it reads has changed since).  :func:`write_dcase_csv` writes the DCASE
SELD-style annotation (``frame, class, track, azimuth, elevation,
distance``; 100 ms frames, integer degrees, distance in centimetres), one
row per active source and frame.
"""

__all__ = ["FRAME_SECONDS", "ACTIVE_DB", "head_positions", "active_intervals",
           "build_sidecar", "write_json_atomic", "scene_from_sidecar", "write_dcase_csv",
           "DCASE_CLASSES", "source_label", "file_sha256"]

import json
import math
from pathlib import Path

import numpy as np

from ..cache import file_hash
from ..errors import SceneError

FRAME_SECONDS = 0.1
"""float : Resolution of positions, activity and annotations, s."""

ACTIVE_DB = -80.0
"""float : A source is active in a frame where its signal peaks above this, dBFS."""

DCASE_CLASSES = ("whisper", "hair_brush", "scissors", "paper_crinkle", "package_open",
                 "tapping", "touch")
"""tuple of str : Default class list of DCASE annotations (the generators, in order)."""

_POSITION_STEP = 600  # frames per batch of position evaluation (60 s)


_DIGESTS = {}  # (path, size, mtime) -> digest


def file_sha256(path):
    """:func:`spatial_asmr.cache.file_hash` of a file, memoised per path, size and mtime."""
    path = Path(path)
    stat = path.stat()
    memo = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if memo not in _DIGESTS:
        _DIGESTS[memo] = file_hash(path)
    return _DIGESTS[memo]


def source_label(spec):
    """A source's class label: its generator type, or its name for files."""
    return spec.generator[0] if spec.generator is not None else spec.name


def head_positions(scene, spec, n_frames):
    """Position of a source relative to the listener's head, every frame.

    Parameters
    ----------
    scene : Scene
    spec : SourceSpec
    n_frames : int
        Frames of :data:`FRAME_SECONDS` from time 0.

    Returns
    -------
    times : ndarray, shape (n_frames,)
        Frame start times, s.
    sph : ndarray, shape (n_frames, 3)
        Azimuth in (-180, 180] and elevation in degrees, distance in metres.
    """
    from ..motion.listener import head_frame

    times = np.arange(n_frames) * FRAME_SECONDS
    sph = np.empty((n_frames, 3))
    for i in range(0, n_frames, _POSITION_STEP):
        t = times[i:i + _POSITION_STEP]
        xyz = head_frame(spec.motion.positions(t), scene.listener, t)
        x, y, z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
        sph[i:i + len(t), 0] = np.degrees(np.arctan2(y, x))
        sph[i:i + len(t), 1] = np.degrees(np.arctan2(z, np.hypot(x, y)))
        sph[i:i + len(t), 2] = np.sqrt(x * x + y * y + z * z)
    # arctan2 gives [-180, 180]; -180 is the same direction as 180
    sph[sph[:, 0] == -180.0, 0] = 180.0
    return times, sph


def active_intervals(frame_peaks, threshold_db=ACTIVE_DB):
    """Runs of frames whose peak is above a threshold.

    Parameters
    ----------
    frame_peaks : ndarray, shape (n_frames,)
        Linear peak of each frame.
    threshold_db : float

    Returns
    -------
    list of [float, float]
        ``[start, end]`` seconds of each run.
    """
    active = np.asarray(frame_peaks) > 10.0 ** (threshold_db / 20.0)
    edges = np.diff(np.concatenate([[0], active.astype(np.int8), [0]]))
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    return [[round(float(a) * FRAME_SECONDS, 6), round(float(b) * FRAME_SECONDS, 6)]
            for a, b in zip(starts, ends, strict=True)]


def _round(values, digits):
    return [round(float(v), digits) for v in values]


def build_sidecar(scene, report, frame_peaks, *, key=None, scene_file=None, options=None,
                  files=None, hrtf=None):
    """The sidecar mapping of one rendered scene.

    Parameters
    ----------
    scene : Scene
    report : RenderReport
    frame_peaks : list of ndarray
        Per source, the peak of each :data:`FRAME_SECONDS` frame of its
        signal (``SourceStream.frame_peaks``).
    key : str, optional
    scene_file : str, optional
    options : dict, optional
        Render options (bit depth, format, ...).
    files : dict, optional
        Path to SHA-256 of the audio files read.
    hrtf : dict, optional
        HRTF identity (name, path, sha256).

    Returns
    -------
    dict
    """
    from .. import __version__
    from ..scene.resolved import resolved_scene

    n_frames = int(math.ceil(round(report.seconds / FRAME_SECONDS, 6)))
    sources = []
    for spec, peaks in zip(scene.sources, frame_peaks, strict=True):
        times, sph = head_positions(scene, spec, n_frames)
        peaks = np.asarray(peaks)[:n_frames]
        sources.append({
            "name": spec.name,
            "label": source_label(spec),
            "seed": None if spec.generator is None else int(spec.generator[1]),
            "active": active_intervals(peaks),
            "positions": {"time": _round(times, 6), "azimuth": _round(sph[:, 0], 3),
                          "elevation": _round(sph[:, 1], 3),
                          "distance": _round(sph[:, 2], 5)},
        })
    return {
        "spatial_asmr_sidecar": 1,
        "key": key,
        "version": __version__,
        "output": None if report.path is None else Path(report.path).name,
        "scene_file": scene_file,
        "scene": resolved_scene(scene, duration=report.seconds, bit_depth=report.bit_depth),
        "hrtf": hrtf,
        "files": files or {},
        "options": options or {},
        "report": dict(report.as_dict(), path=None if report.path is None
                       else Path(report.path).name),
        "frame_seconds": FRAME_SECONDS,
        "active_threshold_db": ACTIVE_DB,
        "sources": sources,
    }


def write_json_atomic(path, data):
    """Write JSON under a temporary name in the same folder, then rename.

    Raises
    ------
    OutputError
        "cannot write PATH: reason", if it cannot be written.
    """
    from ..output.files import atomic_text

    with atomic_text(path) as fh:
        json.dump(data, fh, separators=(",", ":"), allow_nan=False)


def write_dcase_csv(path, sidecar, classes=DCASE_CLASSES):
    """Write the DCASE SELD-style annotation of a sidecar.

    Rows ``frame, class, track, azimuth, elevation, distance``: the frame
    index (100 ms), the index of the source's label in ``classes``, the
    source's index in the scene, integer degrees (azimuth in [-180, 180),
    counter-clockwise) and the distance in centimetres, for every frame in
    which the source is active.

    Parameters
    ----------
    path : str or pathlib.Path
    sidecar : dict
        From :func:`build_sidecar`.
    classes : sequence of str

    Raises
    ------
    SceneError
        A source's label is not in ``classes``.
    """
    classes = list(classes)
    rows = []
    for track, source in enumerate(sidecar["sources"]):
        if source["label"] not in classes:
            raise SceneError(
                f"source {source['name']!r} has label {source['label']!r} but must have "
                f"one of the classes {', '.join(classes)} for DCASE annotations "
                "(give --classes)")
        cls = classes.index(source["label"])
        positions = source["positions"]
        n = len(positions["time"])
        for start, end in source["active"]:
            for frame in range(int(round(start / FRAME_SECONDS)),
                               min(int(round(end / FRAME_SECONDS)), n)):
                azimuth = int(round(positions["azimuth"][frame]))
                azimuth = (azimuth + 180) % 360 - 180
                rows.append((frame, cls, track, azimuth,
                             int(round(positions["elevation"][frame])),
                             int(round(100 * positions["distance"][frame]))))
    rows.sort()
    from ..output.files import atomic_text

    with atomic_text(path) as fh:
        fh.writelines(",".join(str(v) for v in row) + "\n" for row in rows)


def scene_from_sidecar(path):
    """The scene a sidecar describes, checked against the files it read.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.json`` sidecar written by ``spatial-asmr batch``.

    Returns
    -------
    Scene

    Raises
    ------
    SceneError
        The sidecar is missing or not a sidecar, or a file it names has
        changed since (its SHA-256 differs) or is gone.
    """
    from ..scene.resolved import scene_from_mapping

    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise SceneError(f"sidecar {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SceneError(f"sidecar {str(path)!r} cannot be read as JSON: {exc}") from None
    if not isinstance(data, dict) or "scene" not in data or "spatial_asmr_sidecar" not in data:
        raise SceneError(f"sidecar {str(path)!r} is not a spatial-asmr sidecar (it has "
                               "no 'scene'); sidecars are the .json files batch writes")
    expected = dict(data.get("files") or {})
    if data.get("hrtf") and data["hrtf"].get("sha256") and data["hrtf"].get("path"):
        expected[data["hrtf"]["path"]] = data["hrtf"]["sha256"]
    for name, digest in expected.items():
        try:
            now = file_sha256(name)
        except OSError:
            raise SceneError(f"{path}: file {name!r} that the render read is "
                             "missing") from None
        if now != digest:
            raise SceneError(
                f"{path}: file {name!r} has changed since the render (sha256 {digest[:12]}... "
                f"then, {now[:12]}... now); it would not render the same")
    return scene_from_mapping(data["scene"], f"{path} (scene)", path.parent)
