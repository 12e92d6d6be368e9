"""A WAV over 4 GiB cannot say its size in a RIFF header (libsndfile wraps
it modulo 2**32, so readers see a shorter file); such a ``.wav`` is
written as RF64.  The limit is lowered here so that the files stay small;
ffprobe is the independent reader."""

import subprocess

import numpy as np
import pytest
import soundfile as sf

from spatial_asmr import OutputError, load_scene, render_to_file
from spatial_asmr.output import writing


@pytest.fixture
def scene(tmp_path):
    path = tmp_path / "scene.yaml"
    path.write_text("duration: 2.0\nsources:\n  - generator: {type: tapping, seed: 4}\n"
                    "    position: {azimuth: -40, elevation: 10, distance: 0.3}\n")
    return load_scene(path)


def _ffprobe_seconds(path):
    done = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                           "-of", "csv=p=0", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return float(done.stdout)


def test_a_wav_over_the_limit_is_written_as_rf64_and_reads_back_whole(tmp_path, scene,
                                                                     monkeypatch):
    monkeypatch.setattr(writing, "WAV_LIMIT", 200_000)
    first = render_to_file(scene, tmp_path / "a.wav", bit_depth="float")
    render_to_file(scene, tmp_path / "b.wav", bit_depth="float")
    assert first.container == "RF64"
    head = (tmp_path / "a.wav").read_bytes()[:16]
    assert head[:4] == b"RF64" and head[8:16] == b"WAVEds64"
    assert _ffprobe_seconds(tmp_path / "a.wav") == pytest.approx(2.0, abs=1e-4)
    audio, rate = sf.read(tmp_path / "a.wav")
    assert (len(audio), rate) == (96000, 48000)
    assert np.abs(audio).max() > 0.01
    # the PEAK chunk's time stamp is zeroed in RF64 too: same scene, same bytes
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()


def test_a_wav_under_the_limit_stays_riff(tmp_path, scene):
    report = render_to_file(scene, tmp_path / "a.wav")
    assert report.container == "WAV"
    assert (tmp_path / "a.wav").read_bytes()[:4] == b"RIFF"


def test_writing_past_the_limit_without_the_length_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(writing, "WAV_LIMIT", 100_000)
    out = tmp_path / "out.wav"
    out.write_bytes(b"previous")
    chunks = [np.full((10_000, 2), 0.1)] * 3  # 30,000 frames of 24-bit: 180,000 bytes
    with pytest.raises(OutputError, match=r"cannot write .*out.wav: a WAV file holds at "
                                          r"most 16645 frames"):
        writing.write_audio(out, chunks, 48000, 24)
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"]
