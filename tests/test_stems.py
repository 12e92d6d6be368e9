"""Stems (render --stems): one binaural file per source that add up to the mix."""

import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from scenes import raw_mix, write_scene
from spatial_asmr import render_to_file
from spatial_asmr.renderer.stems import stem_names

SCENE = """
duration: 2
output: {normalize: {loudness: -20}}
sources:
  - name: brush
    generator: {type: hair_brush, seed: 1}
    trajectory: {orbit: {distance: 0.3, period: 1.5}}
  - name: taps
    generator: {type: tapping, seed: 2}
    position: {azimuth: 40, elevation: 0, distance: 0.6}
  - name: whisper/left
    generator: {type: whisper, seed: 3}
    start: 0.5
    trajectory: {orbit: {distance: 0.2, period: 3, direction: cw}}
"""


@pytest.mark.parametrize("engine", ["exact", "basis"])
def test_the_stems_add_up_to_the_mix_before_its_limiter(tmp_path, engine):
    scene = write_scene(tmp_path, SCENE.replace("duration: 2",
                                                f"duration: 2\nrender: {{engine: {engine}}}"))
    report = render_to_file(scene, tmp_path / "mix.wav", bit_depth="float",
                            stems=tmp_path / "stems")
    assert [p.name for p in report.stems] == ["brush.wav", "taps.wav", "whisper_left.wav"]
    stems = [sf.read(p, dtype="float64")[0] for p in report.stems]
    # the raw mix, rendered on its own, at the gain the report gives
    mix = raw_mix(scene, np.float32)[0].astype(np.float64) * 10 ** (report.gain_db / 20)
    total = np.sum(stems, axis=0)
    assert total.shape == mix.shape
    np.testing.assert_allclose(total, mix, rtol=0, atol=1e-6 * np.abs(mix).max())
    assert not report.limiter.engaged  # -20 LUFS: nothing near the ceiling
    # each stem holds its own source: the whisper's is silent before it starts
    # (to float32 rounding in the basis engine's long FFT frames)
    assert np.abs(stems[2][:int(0.5 * 48000)]).max() <= 1e-6 * np.abs(stems[2]).max()
    assert all(np.abs(s).max() > 0 for s in stems)


def test_stem_names_are_safe_and_unique(tmp_path):
    scene = write_scene(tmp_path, """
sources:
  - {name: "a b", generator: {type: tapping, seed: 1, duration: 1},
     position: {azimuth: 0, elevation: 0, distance: 1}}
  - {name: "a?b", generator: {type: tapping, seed: 2, duration: 1},
     position: {azimuth: 0, elevation: 0, distance: 1}}
  - {name: "..", generator: {type: tapping, seed: 3, duration: 1},
     position: {azimuth: 0, elevation: 0, distance: 1}}
""")
    assert stem_names(scene) == ["a_b.wav", "a_b-2.wav", "source2.wav"]


def test_the_command_writes_the_stems_and_says_so(tmp_path):
    (tmp_path / "scene.yaml").write_text(SCENE)
    done = subprocess.run([sys.executable, "-m", "spatial_asmr", "render", "scene.yaml", "-o",
                           "mix.wav", "--stems", "stems"], capture_output=True, text=True,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "wrote 3 stems in stems: brush.wav, taps.wav, whisper_left.wav" in done.stderr
    info = sf.info(tmp_path / "stems" / "taps.wav")
    assert info.subtype == "FLOAT" and info.frames == sf.info(tmp_path / "mix.wav").frames


def test_batch_writes_stems_beside_each_output_and_renders_again_for_them(tmp_path):
    from spatial_asmr.batch import render_many

    (tmp_path / "calm.yaml").write_text(SCENE)
    out = tmp_path / "renders"
    first = render_many([tmp_path / "calm.yaml"], out, jobs=1)
    assert [r["status"] for r in first.records] == ["rendered"]
    assert not (out / "calm.stems").exists()
    # asked for stems now: the scene is rendered again, with them
    again = render_many([tmp_path / "calm.yaml"], out, jobs=1, stems=True)
    assert [r["status"] for r in again.records] == ["rendered"]
    assert again.records[0]["stems"] == [f"calm.stems/{n}" for n in
                                         ("brush.wav", "taps.wav", "whisper_left.wav")]
    names = sorted(p.name for p in (out / "calm.stems").iterdir())
    assert names == ["brush.wav", "taps.wav", "whisper_left.wav"]
    mix = sf.read(out / "calm.wav")[0]
    total = np.sum([sf.read(out / "calm.stems" / n)[0] for n in names], axis=0)
    # 24-bit mix, dithered: the stems' sum is the mix to its quantisation
    np.testing.assert_allclose(total, mix, rtol=0, atol=4 * 2.0 ** -23)
    # and with them there, a third run skips the scene
    third = render_many([tmp_path / "calm.yaml"], out, jobs=1, stems=True)
    assert [r["status"] for r in third.records] == ["skipped"]
