"""The operating system fails under a render: a full disk, a folder that
vanishes or turns read-only, a folder in the way.  Each ends in "cannot
write OUT: reason", with the previous output intact and no temporary file
left.  The faults are real: a small tmpfs mounted in a private mount
namespace (``unshare``), a process without the capability that lets root
ignore permissions (``setpriv``), folders removed and made while the
render runs.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from spatial_asmr import OutputError, load_scene, render_to_file

PREVIOUS = b"the previous output\n"


def _scene(folder, seconds=6.0, normalize=None, name="scene.yaml"):
    lines = [f"duration: {seconds}"]
    if normalize is not None:
        lines.append(f"output: {{normalize: {{loudness: {normalize}}}}}")
    lines += ["sources:",
              "  - name: whisper",
              "    generator: {type: whisper, seed: 3}",
              "    position: {azimuth: 60, elevation: 0, distance: 0.4}"]
    path = folder / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _listing(folder):
    return sorted(p.name for p in folder.iterdir())


def _in_small_disk(tmp_path, size, script, *args):
    """Run a Python script with a tmpfs of ``size`` mounted at
    tmp_path/disk, in a private mount namespace (gone when it ends); the
    script prints a JSON result."""
    disk = tmp_path / "disk"
    disk.mkdir()
    (tmp_path / "script.py").write_text(textwrap.dedent(script))
    command = (f"mount -t tmpfs -o size={size} tmpfs {disk} && "
               f"exec {sys.executable} {tmp_path / 'script.py'} {disk} "
               + " ".join(str(a) for a in args))
    done = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                           command], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_a_render_that_cannot_fit_on_the_disk_is_refused_before_it_starts(tmp_path):
    scene = _scene(tmp_path, seconds=10.0, normalize=-23)
    result = _in_small_disk(tmp_path, "1m", """\
        import json, pathlib, subprocess, sys
        disk = pathlib.Path(sys.argv[1])
        (disk / "out.wav").write_bytes(b"the previous output\\n")
        done = subprocess.run([sys.executable, "-m", "spatial_asmr", "render", sys.argv[2],
                               "-o", str(disk / "out.wav"), "-q"], capture_output=True,
                              text=True)
        print(json.dumps({"rc": done.returncode, "stderr": done.stderr,
                          "files": sorted(p.name for p in disk.iterdir()),
                          "previous": (disk / "out.wav").read_text()}))
        """, scene)
    assert result["rc"] == 1
    # 10 s at 48 kHz, 24-bit stereo: 2,880,000 bytes and a 44-byte header,
    # then the float32 mix of the first pass: 3,840,000 bytes
    assert result["stderr"].startswith(
        f"error: cannot write {tmp_path}/disk/out.wav: it needs about 6.7 MB (the audio "
        "2.9 MB, a temporary mix for output.normalize 3.8 MB) but its disk has 1.0 MB free")
    assert "Traceback" not in result["stderr"]
    assert result["files"] == ["out.wav"]
    assert result["previous"] == PREVIOUS.decode()


FILL_THE_DISK = """\
    import json, os, pathlib, sys
    from spatial_asmr import OutputError, load_scene, render_to_file
    disk, scene, out = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    (disk / out).write_bytes(b"the previous output\\n")
    filled = []

    def fill(done, total):  # halfway, something else takes the rest of the disk
        if done >= total / 2 and not filled:
            fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
            try:
                while True:
                    os.write(fd, bytes(1 << 12))
            except OSError:
                os.close(fd)
            filled.append(done)

    try:
        render_to_file(load_scene(scene), disk / out, progress=fill)
        error = None
    except OutputError as exc:
        error = str(exc)
    (disk / "filler").unlink()
    print(json.dumps({"error": error, "filled_at": filled,
                      "files": sorted(p.name for p in disk.iterdir()),
                      "previous": (disk / out).read_bytes().decode(errors="replace")}))
    """


@pytest.mark.parametrize(("normalize", "out"), [
    (None, "out.wav"),    # the output itself runs out of room
    (-23, "out.wav"),     # the first pass's temporary mix does
    (None, "out.flac"),   # the FLAC encoder does
])
def test_a_disk_that_fills_mid_render_ends_in_a_message_and_leaves_the_previous_output(
        tmp_path, normalize, out):
    scene = _scene(tmp_path, seconds=6.0, normalize=normalize)
    result = _in_small_disk(tmp_path, "16m", FILL_THE_DISK, scene, out)
    assert result["filled_at"], "the render never reached its middle"
    assert result["error"] == f"cannot write {tmp_path}/disk/{out}: No space left on device"
    assert result["files"] == [out]
    assert result["previous"] == PREVIOUS.decode()


@pytest.mark.parametrize("normalize", [None, -23])
def test_a_folder_removed_mid_render_is_named(tmp_path, normalize):
    folder = tmp_path / "renders"
    folder.mkdir()
    scene = load_scene(_scene(tmp_path, normalize=normalize))

    def remove(done, total):
        if done >= total / 2 and folder.exists():
            shutil.rmtree(folder)

    with pytest.raises(OutputError) as caught:
        render_to_file(scene, folder / "out.wav", progress=remove)
    assert str(caught.value) == (f"cannot write {folder}/out.wav: its folder "
                                 f"{str(folder)!r} does not exist")
    assert _listing(tmp_path) == ["scene.yaml"]


def test_a_folder_in_the_way_of_the_output_mid_render_is_named(tmp_path):
    scene = load_scene(_scene(tmp_path))
    out = tmp_path / "out.wav"

    def block(done, total):
        if done >= total / 2 and not out.exists():
            out.mkdir()

    with pytest.raises(OutputError) as caught:
        render_to_file(scene, out, progress=block)
    assert str(caught.value) == f"cannot write {out}: Is a directory"
    assert _listing(tmp_path) == ["out.wav", "scene.yaml"]
    assert out.is_dir() and not list(out.iterdir())


READ_ONLY = """\
    import json, os, pathlib, sys
    from spatial_asmr import OutputError, load_scene, render_to_file
    folder, scene = pathlib.Path(sys.argv[1]), sys.argv[2]
    out = folder / "out.wav"
    out.write_bytes(b"the previous output\\n")

    def lock(done, total):
        if done >= total / 2 and folder.stat().st_mode & 0o200:
            folder.chmod(0o555)

    try:
        render_to_file(load_scene(scene), out, progress=lock)
        error = None
    except OutputError as exc:
        error = str(exc)
    left = sorted(p.name for p in folder.iterdir())
    previous = out.read_bytes().decode(errors="replace")
    folder.chmod(0o755)
    report = render_to_file(load_scene(scene), out)  # the next render cleans up
    print(json.dumps({"error": error, "left": left, "previous": previous,
                      "after": sorted(p.name for p in folder.iterdir()),
                      "seconds": report.seconds}))
    """


def test_a_folder_made_read_only_mid_render_keeps_the_previous_output(tmp_path):
    folder = tmp_path / "renders"
    folder.mkdir()
    scene = _scene(tmp_path)
    (tmp_path / "script.py").write_text(textwrap.dedent(READ_ONLY))
    # root ignores permissions through CAP_DAC_OVERRIDE; without it, as a
    # user does, the folder's mode applies
    done = subprocess.run(
        ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", sys.executable,
         str(tmp_path / "script.py"), str(folder), str(scene)],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    partial = [name for name in result["left"] if name.endswith(".partial")]
    assert len(partial) == 1 and partial[0].startswith(".out.wav.")
    assert result["error"] == (
        f"cannot write {folder}/out.wav: Permission denied; the temporary file "
        f"{folder}/{partial[0]} could not be removed (Permission denied); the next render "
        "of out.wav removes it")
    assert result["previous"] == PREVIOUS.decode()
    assert result["after"] == ["out.wav"]
    assert result["seconds"] == 6.0


def test_a_folder_in_which_no_file_can_be_made_is_refused_before_rendering(tmp_path):
    folder = tmp_path / "renders"
    folder.mkdir()
    folder.chmod(0o555)
    scene = _scene(tmp_path)
    done = subprocess.run(
        ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", sys.executable,
         "-m", "spatial_asmr", "render", str(scene), "-o", str(folder / "out.wav"), "-q"],
        capture_output=True, text=True, timeout=300, env=dict(os.environ))
    folder.chmod(0o755)
    assert done.returncode == 1
    assert done.stderr == f"error: cannot write {folder}/out.wav: Permission denied\n"
    assert _listing(folder) == []
