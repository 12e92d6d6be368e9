"""Rendering many scenes: a process pool or a Dask cluster, resumable.

:func:`render_many` (and ``spatial-asmr batch``) renders scene files,
folders of them, or scenes built in Python into one output folder:

- each scene's output (``NAME.wav``), its sidecar (``NAME.json``, see
  :mod:`spatial_asmr.batch.sidecar`) and, with ``annotations="dcase"``, its
  annotation (``NAME.csv``) are written atomically, the sidecar last;
- every output has a key, the SHA-256 of the scene text, the resolved
  scene, the content of every file it reads (audio, SOFA), the render
  options and the engine version; a re-run skips outputs whose key
  matches and renders the rest (``force=True`` renders all);
- one failing scene does not stop the others; every failure is reported
  with the message ``render`` would print;
- ``manifest.jsonl`` in the output folder has one line per output (scene,
  key, output, status, error, figures of the render, host, version),
  appended as results arrive and rewritten in order at the end;
- a worker process killed mid-render costs only its scene (its temporary
  files are removed; a re-run renders it); an interrupt (Ctrl-C, SIGTERM)
  stops the workers, removes their temporary files and keeps everything
  finished.

Workers: ``jobs`` local processes (default: one per core), each rendering
with one thread, so they do not oversubscribe the cores; or, with
``scheduler``, a ``dask.distributed`` cluster (``"local"`` starts a
``LocalCluster`` here, ``"tcp://host:port"`` connects to a running
scheduler).  A cluster's workers read the scene files, audio files and
SOFA files by the same paths as the machine that submits (a shared file
system), and write to the same output folder; spatial-asmr must be
installed on them.  A worker that cannot see a file fails that scene with
an error that names the file and the worker.
"""

__all__ = ["render_many", "BatchSummary", "output_key", "collect_scenes", "run_task",
           "parse_shard"]

import hashlib
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..checks import check_integer, must_be
from ..errors import ArgumentError, OutputError, SceneError, SpatialAsmrError
from ..output.files import atomic_text, remove_temporaries, writing
from .workers import DaskPool, ProcessPool, failed_record, run_task

SCENE_SUFFIXES = (".yaml", ".yml")
FORMATS = ("wav", "flac")
MANIFEST = "manifest.jsonl"


# -- what to render ---------------------------------------------------------------


@dataclass
class _Entry:
    name: str            # output name, relative to the output folder, no suffix
    label: str           # how the scene is named in messages
    path: Path | None = None    # scene file
    scene: object = None        # Scene built in Python (or from a mapping)
    error: str | None = None    # could not even be read


def collect_scenes(inputs):
    """Expand inputs into named scenes.

    Parameters
    ----------
    inputs : iterable
        Scene files and folders (searched recursively for ``*.yaml`` and
        ``*.yml``), :class:`~spatial_asmr.Scene` objects, scene mappings,
        or ``(name, scene_or_mapping)`` pairs.

    Returns
    -------
    list of _Entry
        In input order (folders sorted); names unique.

    Raises
    ------
    SceneError
        An input path does not exist, a folder holds no scenes, or two
        scenes would write the same output.
    ArgumentError
        An input is of an unknown type.
    """
    from ..scene import Scene

    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]  # one file or folder
    try:
        inputs = list(inputs)
    except TypeError:
        raise ArgumentError(must_be("scenes", inputs, "a list of scene files, folders, Scene "
                                    "objects or mappings")) from None
    entries = []
    for index, item in enumerate(inputs):
        name = None
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            name, item = item
        if isinstance(item, str | os.PathLike):
            path = Path(item)
            if path.is_dir():
                found = sorted(p for p in path.rglob("*")
                               if p.suffix.lower() in SCENE_SUFFIXES and p.is_file())
                if not found:
                    raise SceneError(f"folder {str(path)!r} holds no scene files "
                                           f"({', '.join(SCENE_SUFFIXES)})")
                for p in found:
                    entries.append(_Entry(p.relative_to(path).with_suffix("").as_posix(),
                                          str(p), path=p))
            elif path.is_file():
                entries.append(_Entry(name or path.stem, str(path), path=path))
            else:
                raise SceneError(f"scene {str(path)!r} does not exist")
        elif isinstance(item, Scene):
            stem = item.path.stem if item.path is not None else f"scene{index:05d}"
            entries.append(_Entry(name or stem, name or f"scenes[{index}]", scene=item))
        elif isinstance(item, dict):
            from ..scene.resolved import scene_from_mapping

            label = name or f"scenes[{index}]"
            entry = _Entry(name or f"scene{index:05d}", label)
            try:
                entry.scene = scene_from_mapping(item, label, Path.cwd())
            except SpatialAsmrError as exc:
                entry.error = str(exc)
            entries.append(entry)
        else:
            raise ArgumentError(must_be(f"scenes[{index}]", item,
                                        "a scene file, a folder, a Scene or a mapping",
                                        show=lambda value: f"a {type(value).__name__}"))
    seen = {}
    for entry in entries:
        if entry.name in seen:
            raise SceneError(f"scenes {seen[entry.name]!r} and {entry.label!r} would "
                                   f"both write {entry.name!r}; give them different names")
        seen[entry.name] = entry.label
    return entries


def parse_shard(text):
    """``"I/N"`` to ``(I, N)``, ``0 <= I < N``.

    Raises
    ------
    ArgumentError
    """
    try:
        i, n = (int(part) for part in str(text).split("/"))
    except ValueError:
        raise ArgumentError(must_be("shard", text, "I/N with integers, e.g. 0/4",
                                    show=repr)) from None
    if not (n >= 1 and 0 <= i < n):
        raise ArgumentError(must_be("shard", text, "I/N with 0 <= I < N", show=repr))
    return i, n


def _in_shard(name, shard):
    if shard is None:
        return True
    i, n = shard
    return int(hashlib.sha256(name.encode()).hexdigest(), 16) % n == i


def _hrtf_identity(scene):
    from ..hrtf.bundled import ANALYTIC, BUNDLED, bundled_hrtf_path
    from .sidecar import file_sha256

    name = str(scene.hrtf)
    if name in ANALYTIC:
        return {"name": name, "path": None, "sha256": None}
    path = bundled_hrtf_path(name) if name in BUNDLED else Path(name)
    return {"name": name, "path": str(path), "sha256": file_sha256(path)}


def output_key(scene, options, text=None):
    """The key of an output: what it depends on, hashed.

    Parameters
    ----------
    scene : Scene
    options : dict
        Render options that change the output (bit depth, format, ...).
    text : bytes, optional
        The scene file's text.

    Returns
    -------
    key : str
        SHA-256 hex digest.
    files : dict
        Path to SHA-256 of the audio files the scene reads.
    hrtf : dict
        The HRTF set's name, path and SHA-256.
    """
    from .. import __version__
    from ..scene.resolved import resolved_scene
    from .sidecar import file_sha256

    files = {str(s.file): file_sha256(s.file) for s in scene.sources if s.file is not None}
    hrtf = _hrtf_identity(scene)
    material = {
        "version": __version__,
        "text": None if text is None else hashlib.sha256(text).hexdigest(),
        "scene": resolved_scene(scene),
        "files": files,
        "hrtf": hrtf["sha256"] or hrtf["name"],
        "options": options,
    }
    blob = json.dumps(material, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest(), files, hrtf


# -- the batch ---------------------------------------------------------------------------


@dataclass
class BatchSummary:
    """What a batch did.

    Attributes
    ----------
    records : list of dict
        One manifest record per scene done in this run (all of them unless
        interrupted), in input order.
    total : int
        Scenes in the batch (this shard).
    interrupted : bool
        Whether the batch was stopped before every scene was done.
    wall_seconds : float
    manifest : pathlib.Path
    """

    records: list = field(default_factory=list)
    total: int = 0
    interrupted: bool = False
    wall_seconds: float = 0.0
    manifest: Path | None = None

    def count(self, status):
        """Number of records with this status (rendered, skipped, failed)."""
        return sum(1 for r in self.records if r.get("status") == status)

    @property
    def failures(self):
        """list of dict : The failed records."""
        return [r for r in self.records if r.get("status") == "failed"]

    @property
    def audio_seconds(self):
        """float : Seconds of audio rendered in this run."""
        return sum(r.get("duration") or 0.0 for r in self.records
                   if r.get("status") == "rendered")


class _Manifest:
    """``manifest.jsonl``: appended as results come, rewritten at the end."""

    def __init__(self, path):
        self.path = Path(path)
        self.entries = {}
        if self.path.is_file():
            for line in self.path.read_text(errors="replace").splitlines():
                try:
                    record = json.loads(line)
                    self.entries[record["output"]] = record
                except (json.JSONDecodeError, KeyError, TypeError):
                    continue  # a line cut short by a crash
        self._file = None

    def add(self, record):
        record = dict(record, time=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        self.entries[record["output"]] = record
        with writing(self.path):
            if self._file is None:
                self._file = open(self.path, "a")  # noqa: SIM115 - closed in close()
            self._file.write(json.dumps(record, default=_plain) + "\n")
            self._file.flush()

    def close(self):
        if self._file is not None:
            file, self._file = self._file, None
            with writing(self.path):
                file.close()
        with atomic_text(self.path) as fh:
            for output in sorted(self.entries):
                fh.write(json.dumps(self.entries[output], default=_plain) + "\n")


def _plain(value):
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)


def _up_to_date(task, manifest):
    output, sidecar = Path(task["output"]), Path(task["sidecar"])
    if not (output.is_file() and sidecar.is_file()):
        return None
    if task["annotation"] and not Path(task["annotation"]).is_file():
        return None
    previous = manifest.entries.get(os.path.relpath(task["output"], manifest.path.parent))
    if previous and previous.get("key") == task["key"] and \
            previous.get("status") in ("rendered", "skipped"):
        return previous
    try:
        with open(sidecar) as fh:
            data = json.load(fh)
    except (OSError, json.JSONDecodeError):
        return None
    if data.get("key") != task["key"]:
        return None
    report = dict(data.get("report") or {})
    report["duration"] = report.pop("seconds", None)
    report.pop("path", None)
    return report


def render_many(scenes, out_dir, *, jobs=None, scheduler=None, shard=None, force=False,
                bit_depth=None, format="wav", annotations=None, classes=None,
                progress=None, retries=1, max_memory=None, stems=False):
    """Render many scenes into one folder (see the module docstring).

    Parameters
    ----------
    scenes : iterable
        Scene files, folders of them, :class:`~spatial_asmr.Scene` objects,
        scene mappings, or ``(name, scene)`` pairs.
    out_dir : str or pathlib.Path
        Output folder (created if missing).
    jobs : int, optional
        Worker processes (default: one per core); with ``scheduler="local"``
        the number of Dask workers.
    scheduler : str or distributed.Client, optional
        ``"local"`` (a ``LocalCluster`` of ``jobs`` single-threaded
        workers), a Dask scheduler address (``"tcp://host:8786"``), or a
        ``Client`` you made (left open).
    shard : tuple of int or str, optional
        ``(I, N)`` or ``"I/N"``: render the scenes whose name hashes to
        ``I`` modulo ``N`` (a deterministic 1/N of them, stable when scenes
        are added).  The manifest is then ``manifest-I-of-N.jsonl``.
    force : bool, optional
        Render even outputs whose key matches.
    bit_depth : {16, 24, 'float'}, optional
        Override the scenes' ``output.bit_depth``.
    stems : bool, optional
        Also write each scene's stems (one 32-bit float file per source, at
        its mix's gain; :mod:`spatial_asmr.renderer.stems`) into
        ``OUT_DIR/NAME.stems/``.  A scene rendered before without them is
        rendered again.
    format : {'wav', 'flac'}
    annotations : {None, 'dcase'}
        Also write DCASE SELD-style annotations (``NAME.csv``).
    classes : sequence of str, optional
        Class list of the annotations (default: the generator types).
    progress : callable, optional
        ``progress(done, total, audio_seconds, failed)`` after each scene.
    retries : int, optional
        Dask only: times a task is retried when its worker is lost.
    max_memory : float or str, optional
        A scene whose estimated memory is over this many bytes (or a size:
        ``"4G"``, ``"none"``) fails without being rendered.  Default: half
        of this machine's memory shared by the ``jobs`` workers; with a
        ``scheduler``, no limit (the cluster's workers have their own).

    Returns
    -------
    BatchSummary
        ``summary.interrupted`` is True if it was stopped by Ctrl-C or
        SIGTERM (everything finished is kept, nothing half-written).
    """
    from .sidecar import DCASE_CLASSES

    started = time.perf_counter()
    if format not in FORMATS:
        raise ArgumentError(must_be("format", format, f"one of {', '.join(FORMATS)}",
                                    show=repr))
    if annotations not in (None, "dcase"):
        raise ArgumentError(must_be("annotations", annotations, "None or 'dcase'", show=repr))
    if jobs is not None:
        jobs = check_integer("jobs", jobs, ArgumentError, "None or an integer >= 1",
                             lambda n: n >= 1)
    jobs = jobs or (os.cpu_count() or 1)
    if isinstance(shard, str):
        shard = parse_shard(shard)
    classes = list(classes) if classes else list(DCASE_CLASSES)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {str(out_dir)!r}: "
                               f"{exc.strerror or exc}") from None
    from ..renderer.memory import parse_size

    if max_memory is not None:
        parse_size(max_memory, "max_memory")  # refused now, not once per scene
    # (limit, jobs sharing the default); a cluster's workers have their own
    memory = None if max_memory is None and scheduler else (max_memory, jobs)
    entries = [e for e in collect_scenes(scenes) if _in_shard(e.name, shard)]
    pool = DaskPool(scheduler, jobs, retries) if scheduler else ProcessPool(jobs)
    if not scheduler:
        # the workers import while the scenes are read and keyed here
        pool.start(min(jobs, len(entries)))
    try:
        return _render_entries(entries, pool, out_dir, shard, force, bit_depth, format,
                               annotations, classes, progress, started, memory, stems)
    finally:
        if not scheduler:
            pool.close()


def _render_entries(entries, pool, out_dir, shard, force, bit_depth, format, annotations,
                    classes, progress, started, memory, stems=False):
    from ..output.writing import check_destination
    from .sidecar import source_label

    manifest_name = MANIFEST if shard is None else f"manifest-{shard[0]}-of-{shard[1]}.jsonl"
    manifest = _Manifest(out_dir / manifest_name)
    summary = BatchSummary(manifest=manifest.path, total=len(entries))
    records = {}
    state = {"done": 0, "audio": 0.0, "failed": 0}

    def finish(index, record):
        record.pop("index", None)
        for key in ("output", "sidecar"):  # the manifest names files relative to it
            record[key] = os.path.relpath(record[key], out_dir)
        if record.get("stems"):
            record["stems"] = [os.path.relpath(p, out_dir) for p in record["stems"]]
        records[index] = record
        manifest.add(record)
        state["done"] += 1
        if record.get("status") == "rendered":
            state["audio"] += record.get("duration") or 0.0
        elif record.get("status") == "failed":
            state["failed"] += 1
        if progress is not None:
            progress(state["done"], len(entries), state["audio"], state["failed"])

    if progress is not None:
        progress(0, len(entries), 0.0, 0)

    def tasks():
        # read and key each scene here, just before a worker needs it: the
        # workers start rendering while the rest of a long list is read
        for index, entry in enumerate(entries):
            task = _task(index, entry, out_dir, format, bit_depth, annotations, classes,
                         stems)
            if entry.error is None:
                try:
                    task.update(_prepare(entry, task, source_label, memory))
                    check_destination(task["output"], task["options"]["bit_depth"] or
                                      task["bit_depth_scene"])
                except SpatialAsmrError as exc:
                    entry.error = str(exc)
                except BaseException:
                    # an interrupt while this scene is checked: no worker has
                    # it, so nothing else would remove what the check made
                    remove_temporaries(task["output"])
                    raise
            if entry.error is not None:
                finish(index, failed_record(task, entry.error))
                continue
            remove_temporaries(task["output"])  # left by a run that was killed
            previous = None if force else _up_to_date(task, manifest)
            if previous is not None and task["stems"] is not None and \
                    not os.path.isdir(task["stems"]):
                previous = None  # its stems were not asked for then
            if previous is not None:
                record = {k: v for k, v in previous.items() if k != "time"}
                record.update(scene=task["label"], name=task["name"], key=task["key"],
                              output=task["output"], sidecar=task["sidecar"],
                              status="skipped", error=None)
                finish(index, record)
                continue
            yield task

    try:
        pool.run(tasks(), lambda record: finish(record.pop("index"), record))
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        manifest.close()
    summary.records = [records[i] for i in sorted(records)]
    summary.wall_seconds = time.perf_counter() - started
    return summary


def _task(index, entry, out_dir, format, bit_depth, annotations, classes, stems=False):
    output = out_dir / f"{entry.name}.{format}"
    return {
        "stems": str(out_dir / f"{entry.name}.stems") if stems else None,
        "index": index, "name": entry.name, "label": entry.label,
        "path": None if entry.path is None else str(entry.path),
        "output": str(output), "sidecar": str(output.with_suffix(".json")),
        "annotation": str(output.with_suffix(".csv")) if annotations else None,
        "key": None, "files": {}, "hrtf": None, "bit_depth_scene": None,
        "options": {"bit_depth": bit_depth, "format": format, "annotations": annotations,
                    "classes": classes if annotations else None},
    }


def _prepare(entry, task, source_label, memory):
    """Read the scene here: its key, and what the worker needs."""
    from ..renderer.estimate import check_scene_memory
    from ..scene.resolved import resolved_scene

    text = None
    if entry.path is not None:
        from ..scene.load import load_scene

        scene = load_scene(entry.path)
        text = Path(entry.path).read_bytes()
    else:
        scene = entry.scene
    options = task["options"]
    if options["annotations"] == "dcase":
        for spec in scene.sources:
            label = source_label(spec)
            if label not in options["classes"]:
                raise SceneError(
                    f"{entry.label}: source {spec.name!r} has label {label!r} but must have "
                    f"one of the classes {', '.join(options['classes'])} for DCASE "
                    "annotations (give --classes)")
    if memory is not None:
        check_scene_memory(scene, memory[0], threads=1, jobs=memory[1],
                           option="the batch's --max-memory")
    Path(task["output"]).parent.mkdir(parents=True, exist_ok=True)
    key, files, hrtf = output_key(scene, options, text)
    out = {"key": key, "files": files, "hrtf": hrtf, "bit_depth_scene": scene.output.bit_depth}
    if entry.path is None:
        out["mapping"] = resolved_scene(scene)
        out["base_dir"] = str(Path.cwd())
    return out
