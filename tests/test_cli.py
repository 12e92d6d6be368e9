"""The command line: rendering, errors without tracebacks, atomic output."""

import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from spatial_asmr import cli
from spatial_asmr.scene import OutputSettings

RATE = 48000


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "spatial_asmr", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def scene(tmp_path):
    rng = np.random.default_rng(0)
    sf.write(tmp_path / "noise.wav", 0.01 * rng.standard_normal(RATE // 4), RATE)
    path = tmp_path / "scene.yaml"
    path.write_text("""
duration: 0.5
sources:
  - file: noise.wav
    position: {azimuth: 30, elevation: 0, distance: 1.4}
""")
    return path


@pytest.mark.parametrize(("bit_depth", "subtype"),
                         [("16", "PCM_16"), ("24", "PCM_24"), ("float", "FLOAT")])
def test_render_writes_the_requested_sample_format(tmp_path, scene, bit_depth, subtype):
    out = tmp_path / "out.wav"
    result = run("render", scene, "-o", out, "--bit-depth", bit_depth)
    assert result.returncode == 0, result.stderr
    info = sf.info(out)
    assert (info.samplerate, info.channels, info.frames, info.subtype) == (
        RATE, 2, RATE // 2, subtype)
    assert not list(tmp_path.glob("*.partial"))


def test_render_writes_flac_from_the_suffix(tmp_path, scene):
    out = tmp_path / "out.flac"
    assert run("render", scene, "-o", out, "-q").returncode == 0
    assert sf.info(out).format == "FLAC"


def test_output_matches_the_python_api_within_quantisation(tmp_path, scene):
    from spatial_asmr import load_scene, render

    out = tmp_path / "out.wav"
    assert run("render", scene, "-o", out, "--bit-depth", "float").returncode == 0
    written, _ = sf.read(out)
    audio, _ = render(load_scene(scene))
    np.testing.assert_allclose(written, audio, atol=1e-7)


def test_bad_scene_prints_every_problem_and_no_traceback(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("""
render:
  block_size: 100
sources:
  - file: missing.wav
    position: {azimuth: 30, elevation: 0, distance: -0.3}
""")
    out = tmp_path / "out.wav"
    result = run("render", path, "-o", out)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    assert "broken.yaml:3: render.block_size is 100" in result.stderr
    assert "sources[0].position.distance is -0.3 but must be > 0" in result.stderr
    assert "missing.wav" in result.stderr
    assert not out.exists()


def test_missing_scene_file_is_an_error_naming_it(tmp_path):
    result = run("render", tmp_path / "nope.yaml", "-o", tmp_path / "out.wav")
    assert result.returncode == 1
    assert "nope.yaml" in result.stderr and "Traceback" not in result.stderr


def test_loud_integer_output_is_limited_below_minus_1_dbtp_and_reported(tmp_path):
    from references import peak_16x_poly

    rng = np.random.default_rng(1)
    sf.write(tmp_path / "loud.wav", np.clip(rng.standard_normal(RATE // 4), -1, 1), RATE)
    path = tmp_path / "loud.yaml"
    path.write_text("""
sources:
  - file: loud.wav
    gain_db: 20
    position: {azimuth: 90, elevation: 0, distance: 0.5}
""")
    out = tmp_path / "out.wav"
    result = run("render", path, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "limiter engaged" in result.stderr
    written, _ = sf.read(out)
    # measured independently (16x polyphase; 0.05 dB above the 4x meter at most)
    assert 20 * np.log10(peak_16x_poly(written)) <= -1.0 + 0.05
    # as float the overs are kept: nothing is limited unless asked for
    assert run("render", path, "-o", out, "--bit-depth", "float").returncode == 0
    assert np.abs(sf.read(out)[0]).max() > 1


def test_write_audio_refuses_integer_samples_that_would_clip(tmp_path):
    from spatial_asmr.errors import OutputError
    from spatial_asmr.output.writing import write_audio

    out = tmp_path / "out.wav"
    out.write_bytes(b"previous render")
    loud = np.full((100, 2), 1.5)
    with pytest.raises(OutputError, match=r"\+3\.52 dBFS .* lower the level by at least 3\.6 dB"):
        write_audio(out, [loud], RATE, 24)
    assert out.read_bytes() == b"previous render"  # untouched
    assert not list(tmp_path.glob("*.partial"))


def test_the_limiter_does_not_engage_on_a_scene_that_does_not_need_it(tmp_path, scene):
    result = run("render", scene, "-o", tmp_path / "out.wav")
    assert result.returncode == 0
    assert "limiter engaged" not in result.stderr


def test_loudness_normalisation_hits_its_target_within_half_a_lu(tmp_path, scene):
    from spatial_asmr.output.mastering import integrated_loudness

    text = scene.read_text().replace("duration: 0.5", "duration: 0.5\noutput:\n  "
                                     "normalize: {loudness: -20}")
    scene.write_text(text)
    out = tmp_path / "out.wav"
    result = run("render", scene, "-o", out, "--bit-depth", "24")
    assert result.returncode == 0, result.stderr
    written, rate = sf.read(out)
    assert integrated_loudness(written, rate) == pytest.approx(-20, abs=0.5)


def test_unknown_output_suffix_is_an_error(tmp_path, scene):
    result = run("render", scene, "-o", tmp_path / "out.mp3")
    assert result.returncode == 1
    assert "'.mp3'" in result.stderr and ".wav, .flac" in result.stderr


def test_help_documents_every_render_option():
    text = run("render", "--help").stdout
    for option in ("SCENE", "--output", "--bit-depth", "--quiet"):
        assert option in text
    assert "render" in run("--help").stdout


def test_cli_default_bit_depth_is_the_scene_default():
    parser = cli._build_parser()
    args = parser.parse_args(["render", "s.yaml", "-o", "o.wav"])
    assert args.bit_depth is None  # None means: take the scene's output.bit_depth
    assert OutputSettings().bit_depth == 24


def test_sixteen_bit_output_is_dithered_and_deterministic(tmp_path, scene):
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    assert run("render", scene, "-o", a, "--bit-depth", "16").returncode == 0
    assert run("render", scene, "-o", b, "--bit-depth", "16").returncode == 0
    assert a.read_bytes() == b.read_bytes()


def test_validate_reports_every_problem_of_every_file_and_exits_1(tmp_path, scene):
    broken = tmp_path / "broken.yaml"
    broken.write_text("""
sample_rate: fast
sources:
  - file: noise.wav
    position: {azimuth: 30, elevation: 100, distance: 1}
""")
    result = run("validate", scene, broken)
    assert result.returncode == 1
    assert f"{scene}: valid" in result.stdout
    assert "broken.yaml:2: sample_rate is 'fast' but must be an integer" in result.stderr
    assert "broken.yaml:5: sources[0].position.elevation is 100" in result.stderr
    assert "Traceback" not in result.stderr
    assert run("validate", scene).returncode == 0


def test_schema_is_json_that_validates_the_example_scene():
    import json
    from pathlib import Path

    import jsonschema
    from ruamel.yaml import YAML

    result = run("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    example = Path(__file__).parent.parent / "scenes" / "whisper_orbit.yaml"
    document = json.loads(json.dumps(YAML(typ="safe").load(example.read_text())))
    jsonschema.Draft202012Validator(schema).validate(document)
    assert set(schema["properties"]["render"]["properties"]) >= {
        "interpolation", "block_size", "distance_gain", "near_field", "head_radius", "doppler"}


def test_info_describes_the_bundled_set():
    result = run("info", "kemar")
    assert result.returncode == 0
    for expected in ("SimpleFreeFieldHRIR", "44100 Hz", "512", "710", "1.4 m", "-40 to 90"):
        assert expected in result.stdout


def test_info_on_a_broken_file_is_an_error_without_traceback(tmp_path):
    bad = tmp_path / "bad.sofa"
    bad.write_text("not a sofa file")
    result = run("info", bad)
    assert result.returncode == 1
    assert "bad.sofa" in result.stderr and "Traceback" not in result.stderr


def test_generators_lists_every_generator_with_its_parameters():
    from spatial_asmr.generators import GENERATORS

    result = run("generators")
    assert result.returncode == 0
    for name, entry in GENERATORS.items():
        assert f"{name}: {entry.description}" in result.stdout
        for param in entry.params:
            assert param in result.stdout


def test_plot_draws_the_scene_paths_to_a_png(tmp_path):
    from pathlib import Path

    scene = Path(__file__).parent.parent / "scenes" / "scissors_around_ears.yaml"
    out = tmp_path / "scene.png"
    result = run("plot", scene, "-o", out, "--seconds", "5")
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_info_plot_draws_the_measurement_grid(tmp_path):
    out = tmp_path / "grid.png"
    result = run("info", "kemar", "--plot", out)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_written_files_get_ordinary_permissions(tmp_path, scene):
    import os
    import stat

    out = tmp_path / "out.wav"
    assert run("render", scene, "-o", out, "-q").returncode == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask


def _in_terminal(*args, cwd=None, timeout=300):
    """Run the CLI with a pseudo-terminal as stdout and stderr (progress bars on)."""
    import fcntl
    import os
    import pty
    import select
    import struct
    import termios

    parent, child = pty.openpty()
    # a window 24 x 100, as a terminal has (a new pty has none: no bar fits)
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = subprocess.Popen([sys.executable, "-m", "spatial_asmr", *map(str, args)],
                               stdin=subprocess.DEVNULL, stdout=child, stderr=child, cwd=cwd)
    os.close(child)
    output = b""
    while True:
        ready, _, _ = select.select([parent], [], [], timeout)
        if not ready:
            process.kill()
            break
        try:
            data = os.read(parent, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        output += data
    os.close(parent)
    return process.wait(), output.decode(errors="replace")


def test_render_and_batch_show_progress_bars_in_a_terminal(tmp_path, scene):
    code, output = _in_terminal("render", scene, "-o", tmp_path / "out.wav")
    assert code == 0, output
    assert "Traceback" not in output
    assert "0.5/0.5 s audio" in output and "wrote" in output
    code, output = _in_terminal("batch", scene, "--out-dir", tmp_path / "batch", "-j", "1")
    assert code == 0, output
    assert "Traceback" not in output
    assert "1/1" in output and "1 rendered, 0 up to date, 0 failed" in output


def test_sigterm_mid_render_keeps_the_previous_output_and_leaves_no_temporary_file(tmp_path):
    import os
    import signal
    import time

    path = tmp_path / "long.yaml"
    path.write_text("duration: 600\noutput: {normalize: {loudness: -23}}\nsources:\n"
                    "  - generator: {type: touch, seed: 1}\n"
                    "    trajectory: {orbit: {distance: 0.5, period: 3}}\n")
    out = tmp_path / "out.wav"
    out.write_bytes(b"the previous take")
    process = subprocess.Popen([sys.executable, "-m", "spatial_asmr", "render", str(path),
                                "-o", str(out)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".out.wav.*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(tmp_path.glob(".out.wav.*")), "the render never started writing"
    time.sleep(0.5)
    os.kill(process.pid, signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "error: interrupted" in stderr and "Traceback" not in stderr
    assert out.read_bytes() == b"the previous take"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.yaml", "out.wav"]


def test_a_render_removes_the_temporary_files_a_killed_render_left(tmp_path, scene):
    out = tmp_path / "out.wav"
    stale = [tmp_path / ".out.wav.k1l2l3.partial", tmp_path / ".out.wav.m4x5y6.mix"]
    other = tmp_path / ".other.wav.abcdef.partial"  # another output's: left alone
    for p in stale + [other]:
        p.write_bytes(b"x" * 100)
    assert run("render", scene, "-o", out, "-q").returncode == 0
    assert not any(p.exists() for p in stale)
    assert other.exists()


@pytest.mark.parametrize(("source", "expected"), [
    ("file: short.wav\n    trim: [2, 3]", "its trim [2, 3] s holds no samples of short.wav"),
    ("file: empty.wav", "empty.wav holds no samples"),
    ("file: short.wav\n    start: 5", "it starts at 5 s, when the scene has ended (1 s)"),
])
def test_a_source_that_contributes_nothing_is_named_in_a_warning(tmp_path, source, expected):
    sf.write(tmp_path / "short.wav", 0.1 * np.ones(RATE // 2), RATE)
    sf.write(tmp_path / "empty.wav", np.zeros(0), RATE)
    path = tmp_path / "scene.yaml"
    path.write_text(f"duration: 1\nsources:\n  - name: quiet\n    {source}\n"
                    "    position: {azimuth: 0, elevation: 0, distance: 1}\n"
                    "  - name: loud\n    file: short.wav\n"
                    "    position: {azimuth: 0, elevation: 0, distance: 1}\n")
    result = run("render", path, "-o", tmp_path / "out.wav")
    assert result.returncode == 0, result.stderr
    assert f"warning: source 'quiet' contributes nothing: {expected}" in result.stderr
