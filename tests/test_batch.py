"""Batch rendering: real worker processes, a real Dask LocalCluster, real signals."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from spatial_asmr import SpatialAsmrError, load_scene, render_to_file
from spatial_asmr.batch.runner import collect_scenes, parse_shard, render_many

SHORT = """\
duration: {duration}
sources:
  - name: tap
    generator: {{type: tapping, seed: {seed}}}
    trajectory: {{orbit: {{distance: 0.4, period: 2}}}}
"""

BROKEN = {
    "broken_block": "render: {block_size: 100}\nsources:\n  - file: x.wav\n"
                    "    position: {azimuth: 0, elevation: 0, distance: 1}\n",
    "broken_file": "sources:\n  - file: missing.wav\n"
                   "    position: {azimuth: 0, elevation: 0, distance: 1}\n",
}


def _scenes(folder, count, duration=0.3):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"s{i:02d}.yaml").write_text(SHORT.format(duration=duration, seed=i))
    return folder


def _temporaries(folder):
    return [p for p in Path(folder).rglob("*") if p.name.startswith(".")]


def _valid_outputs(out):
    """Every output is complete: its sidecar exists and the file has its length."""
    names = sorted(p.stem for p in out.glob("*.wav"))
    for name in names:
        sidecar = json.loads((out / f"{name}.json").read_text())
        info = sf.info(out / f"{name}.wav")
        assert info.frames == round(sidecar["report"]["seconds"] * info.samplerate)
        audio, _ = sf.read(out / f"{name}.wav")
        assert np.isfinite(audio).all() and np.abs(audio).max() > 0
    return names


def _manifest(out):
    return {json.loads(line)["name"]: json.loads(line)
            for line in (out / "manifest.jsonl").read_text().splitlines()}


def _children(pid):
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(entry.name))
    return kids


def _holder(pids, needle):
    """The process among pids that has a file open whose name contains needle."""
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    if needle in os.readlink(fd):
                        return pid
                except OSError:
                    continue
        except OSError:
            continue
    return None


def test_a_killed_worker_and_an_interrupt_lose_only_unfinished_scenes(tmp_path):
    scenes = _scenes(tmp_path / "scenes", 27, duration=1.0)  # long enough to interrupt
    # one long scene, to be killed mid-render (in its first, measuring pass:
    # its float spool is open then, beside the output)
    (scenes / "long.yaml").write_text("output: {normalize: {loudness: -23}}\n"
                                      + SHORT.format(duration=120, seed=99))
    for name, text in BROKEN.items():
        (scenes / f"{name}.yaml").write_text(text)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "spatial_asmr", "batch", str(scenes), "--out-dir",
               str(out), "--jobs", "2", "-q"]
    batch = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
    killed = None
    deadline = time.monotonic() + 120
    while killed is None and time.monotonic() < deadline:
        killed = _holder(_children(batch.pid), ".long.")
        time.sleep(0.05)
    assert killed is not None, "the long scene never started"
    time.sleep(0.5)
    os.kill(killed, signal.SIGKILL)
    # Ctrl-C as a terminal sends it: to the whole process group, while scenes remain
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "long" not in _manifest_names(out):
        time.sleep(0.05)
    os.killpg(batch.pid, signal.SIGINT)
    stdout, stderr = batch.communicate(timeout=120)
    assert batch.returncode == 1, stderr
    assert "Traceback" not in stderr
    assert "interrupted" in stderr
    assert "broken_block.yaml:1: render.block_size is 100 but must be a power of two" in stderr
    assert "broken_file.yaml" in stderr and "missing.wav" in stderr
    assert _temporaries(out) == []
    first = _manifest(out)
    assert first["long"]["status"] == "failed"
    assert "SIGKILL" in first["long"]["error"]
    done = _valid_outputs(out)
    assert "long" not in done
    assert len(done) < 27, "the interrupt came after every scene was done"

    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert again.returncode == 1  # the broken scenes still fail
    second = _manifest(out)
    statuses = {name: record["status"] for name, record in second.items()}
    assert all(statuses[name] == "skipped" for name in done)
    rendered = {name for name, status in statuses.items() if status == "rendered"}
    assert rendered == {f"s{i:02d}" for i in range(27)} - set(done) | {"long"}
    assert statuses["broken_block"] == statuses["broken_file"] == "failed"
    assert len(_valid_outputs(out)) == 28
    assert _temporaries(out) == []


def _manifest_names(out):
    path = out / "manifest.jsonl"
    if not path.is_file():
        return set()
    names = set()
    for line in path.read_text().splitlines():
        try:
            names.add(json.loads(line)["name"])
        except (json.JSONDecodeError, KeyError):
            pass
    return names


def test_one_scene_renders_to_the_same_bytes_with_render_one_or_two_jobs_and_dask(tmp_path):
    scenes = _scenes(tmp_path / "scenes", 3, duration=0.5)
    reference = tmp_path / "render.wav"
    render_to_file(load_scene(scenes / "s01.yaml"), reference)
    outputs = {}
    for name, kwargs in (("one", {"jobs": 1}), ("two", {"jobs": 2}),
                         ("dask", {"jobs": 2, "scheduler": "local"})):
        summary = render_many([scenes], tmp_path / name, **kwargs)
        assert summary.count("rendered") == 3, summary.failures
        outputs[name] = (tmp_path / name / "s01.wav").read_bytes()
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        summary = render_many([scenes], tmp_path / "client", scheduler=client)
        assert summary.count("rendered") == 3, summary.failures
        assert client.status == "running"  # the caller's client is left open
    outputs["client"] = (tmp_path / "client" / "s01.wav").read_bytes()
    assert {key: value == reference.read_bytes() for key, value in outputs.items()} == {
        "one": True, "two": True, "dask": True, "client": True}
    workers = {r["worker"] for r in _manifest(tmp_path / "dask").values()}
    assert all(w.startswith("tcp://") for w in workers)


def test_a_dask_worker_that_cannot_see_a_file_fails_that_scene_naming_file_and_worker(
        tmp_path):
    scenes = _scenes(tmp_path / "scenes", 2)
    sf.write(tmp_path / "noise.wav", 0.1 * np.random.default_rng(0).standard_normal(4800),
             48000)
    (scenes / "file.yaml").write_text(
        "sources:\n  - file: ../noise.wav\n    position: {azimuth: 0, elevation: 0, "
        "distance: 1}\n")
    # the submitting side sees the file when it computes keys; the workers do not
    from spatial_asmr.batch import runner as batch

    original = batch._prepare

    def prepare_then_hide(entry, task, label, memory):
        out = original(entry, task, label, memory)
        if entry.name == "file":
            (tmp_path / "noise.wav").rename(tmp_path / "hidden.wav")
        return out

    batch._prepare = prepare_then_hide
    try:
        summary = render_many([scenes], tmp_path / "out", jobs=1, scheduler="local")
    finally:
        batch._prepare = original
    failed = {r["name"]: r["error"] for r in summary.failures}
    assert set(failed) == {"file"}
    assert "noise.wav" in failed["file"] and "on worker tcp://" in failed["file"]
    assert summary.count("rendered") == 2


def test_a_rerun_skips_matching_keys_and_renders_what_changed(tmp_path):
    sf.write(tmp_path / "noise.wav", 0.1 * np.random.default_rng(0).standard_normal(4800),
             48000)
    scenes = _scenes(tmp_path / "scenes", 2)
    (scenes / "file.yaml").write_text(
        "sources:\n  - file: ../noise.wav\n    position: {azimuth: 0, elevation: 0, "
        "distance: 1}\n")
    out = tmp_path / "out"
    assert render_many([scenes], out, jobs=1).count("rendered") == 3
    again = render_many([scenes], out, jobs=1)
    assert again.count("skipped") == 3 and again.count("rendered") == 0
    # the audio file's content changes: only its scene is rendered again
    sf.write(tmp_path / "noise.wav", 0.2 * np.random.default_rng(1).standard_normal(4800),
             48000)
    (scenes / "s00.yaml").write_text(SHORT.format(duration=0.4, seed=0))  # text changes
    third = render_many([scenes], out, jobs=1)
    assert {r["name"] for r in third.records if r["status"] == "rendered"} == {"file", "s00"}
    assert sf.info(out / "s00.wav").frames == round(0.4 * 48000)
    forced = render_many([scenes], out, jobs=1, force=True)
    assert forced.count("rendered") == 3
    assert render_many([scenes], out, jobs=1, bit_depth=16).count("rendered") == 3
    assert sf.info(out / "s01.wav").subtype == "PCM_16"


def test_shards_split_the_scenes_into_disjoint_parts_that_cover_them_all(tmp_path):
    scenes = _scenes(tmp_path / "scenes", 9)
    names = [e.name for e in collect_scenes([scenes])]
    parts = []
    for i in range(3):
        summary = render_many([scenes], tmp_path / "out", jobs=2, shard=f"{i}/3")
        parts.append({r["name"] for r in summary.records})
        assert (tmp_path / "out" / f"manifest-{i}-of-3.jsonl").is_file()
    assert sorted(set().union(*parts)) == sorted(names)
    assert sum(len(p) for p in parts) == len(names)


@pytest.mark.parametrize("text", ["1", "3/3", "-1/2", "a/b", "1/0"])
def test_a_bad_shard_is_refused_with_what_is_allowed(text):
    with pytest.raises(SpatialAsmrError, match="shard is .* but must be I/N"):
        parse_shard(text)


def test_scenes_built_in_python_render_with_names_and_annotations(tmp_path):
    from spatial_asmr.scene.resolved import scene_from_mapping

    mapping = {"duration": 0.5, "sources": [
        {"name": "w", "generator": {"type": "whisper", "seed": 3},
         "position": {"azimuth": 90, "elevation": 0, "distance": 0.5}}]}
    scene = scene_from_mapping(mapping)
    summary = render_many([("from_dict", mapping), ("from_scene", scene)], tmp_path,
                          jobs=1, annotations="dcase")
    assert summary.count("rendered") == 2, summary.failures
    assert (tmp_path / "from_dict.wav").read_bytes() == (tmp_path / "from_scene.wav").read_bytes()
    rows = np.loadtxt(tmp_path / "from_dict.csv", delimiter=",", dtype=int, ndmin=2)
    assert set(rows[:, 1]) == {0}  # whisper is class 0
    assert set(rows[:, 3]) == {90} and set(rows[:, 5]) == {50}


def test_a_file_source_needs_its_label_in_the_class_list_for_dcase(tmp_path):
    sf.write(tmp_path / "voice.wav", 0.1 * np.ones(4800), 48000)
    mapping = {"sources": [{"name": "voice", "file": str(tmp_path / "voice.wav"),
                            "position": {"azimuth": 0, "elevation": 0, "distance": 1}}]}
    summary = render_many([("v", mapping)], tmp_path / "a", annotations="dcase", jobs=1)
    assert "label 'voice' but must have one of the classes" in summary.failures[0]["error"]
    summary = render_many([("v", mapping)], tmp_path / "b", annotations="dcase", jobs=1,
                          classes=["music", "voice"])
    assert summary.count("rendered") == 1
    assert set(np.loadtxt(tmp_path / "b" / "v.csv", delimiter=",", dtype=int,
                          ndmin=2)[:, 1]) == {1}


def test_two_scenes_that_would_write_the_same_output_are_refused(tmp_path):
    _scenes(tmp_path / "a", 1)
    _scenes(tmp_path / "b", 1)
    with pytest.raises(SpatialAsmrError, match="would both write 's00'"):
        collect_scenes([tmp_path / "a" / "s00.yaml", tmp_path / "b" / "s00.yaml"])


def test_folders_keep_their_layout_in_the_output_folder(tmp_path):
    _scenes(tmp_path / "scenes" / "week1", 1)
    _scenes(tmp_path / "scenes" / "week2", 1)
    summary = render_many([tmp_path / "scenes"], tmp_path / "out", jobs=1)
    assert summary.count("rendered") == 2
    assert (tmp_path / "out" / "week1" / "s00.wav").is_file()
    assert (tmp_path / "out" / "week2" / "s00.json").is_file()


def test_batch_command_exits_zero_when_everything_is_rendered(tmp_path):
    scenes = _scenes(tmp_path / "scenes", 2)
    result = subprocess.run([sys.executable, "-m", "spatial_asmr", "batch", str(scenes),
                             "--out-dir", str(tmp_path / "out"), "-j", "1"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "2 rendered, 0 up to date, 0 failed" in result.stderr


def test_a_scene_s_warnings_are_printed_with_its_name_and_kept_in_the_manifest(tmp_path):
    scene = tmp_path / "late.yaml"
    scene.write_text("duration: 1\nsources:\n"
                     "  - name: late\n    generator: {type: tapping}\n    start: 5\n"
                     "    position: {azimuth: 0, elevation: 0, distance: 1}\n"
                     "  - name: now\n    generator: {type: tapping}\n"
                     "    position: {azimuth: 0, elevation: 0, distance: 1}\n")
    done = subprocess.run([sys.executable, "-m", "spatial_asmr", "batch", str(scene),
                           "--out-dir", str(tmp_path / "out"), "-q", "--jobs", "1"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    warning = ("source 'late' contributes nothing: it starts at 5 s, when the scene has "
               "ended (1 s)")
    assert done.stderr.splitlines()[0] == f"warning: {scene}: {warning}"
    assert "SpatialAsmrWarning" not in done.stderr and "workers.py" not in done.stderr
    record = json.loads((tmp_path / "out" / "manifest.jsonl").read_text())
    assert record["warnings"] == [warning]
