"""Static and moving rendering in one scene: where nothing moves a source has a fixed
filter, and the time-varying engine runs only where something moves."""

import numpy as np
import pytest
import soundfile as sf

from scenes import raw_mix, write_scene
from spatial_asmr.renderer.plan import STATIC, RenderPlan
from spatial_asmr.testing import motion_artefact_level

RATE = 48000


def render(scene):
    return raw_mix(scene, np.float64)[0]


def _scene(tmp_path, body, name="scene.yaml"):
    return write_scene(tmp_path, body, name)


@pytest.fixture
def noises(tmp_path):
    rng = np.random.default_rng(7)
    for k in range(2):
        sf.write(tmp_path / f"noise{k}.wav", 0.3 * rng.standard_normal(6 * RATE), RATE,
                 subtype="DOUBLE")


SOURCES = """
duration: 6
sources:
  - {file: noise0.wav, position: {azimuth: 30, elevation: 0, distance: 1.0}}
  - {file: noise1.wav, position: {azimuth: -100, elevation: 20, distance: 0.3}}
"""


def test_a_head_turn_changes_nothing_outside_it(tmp_path, noises):
    # The head turns 40 degrees between 2 and 3 s.  Before the turn the
    # render is that of the still head; after it (once the responses to
    # sound made during the turn have died away) that of the head held at
    # 40 degrees; both references are all-static scenes, rendered by the
    # fixed-filter engine.
    turning = _scene(tmp_path, SOURCES + """listener:
  orientation: [{time: 2, yaw: 0}, {time: 3, yaw: 40}]
""", "turning.yaml")
    before = _scene(tmp_path, SOURCES, "before.yaml")
    after = _scene(tmp_path, SOURCES + """listener:
  orientation: [{time: 0, yaw: 40}]
""", "after.yaml")
    plan = RenderPlan(turning)
    kinds = [ear for _, ear, _ in plan.channels]
    assert kinds.count(STATIC) == 4  # two still spans per source, and the turn moving
    assert not RenderPlan(before).controlled  # the references take the fixed engine
    y, y_before, y_after = render(turning), render(before), render(after)
    peak = np.abs(y_before).max()
    turn, settled = 2 * RATE, int(3.05 * RATE)
    np.testing.assert_allclose(y[:turn], y_before[:turn], rtol=0, atol=1e-9 * peak)
    np.testing.assert_allclose(y[settled:], y_after[settled:], rtol=0, atol=1e-9 * peak)
    # and the turn itself is rendered: neither reference holds there
    assert np.abs(y[turn:settled] - y_before[turn:settled]).max() > 1e-3 * peak


def test_the_hand_overs_add_no_artefacts(tmp_path):
    # a 1 kHz sine from the side while the head turns 90 degrees in 0.5 s
    # and turns back: energy above 4 kHz stays at the level of smooth motion
    t = np.arange(4 * RATE) / RATE
    sf.write(tmp_path / "sine.wav", 0.5 * np.sin(2 * np.pi * 1000 * t), RATE, subtype="DOUBLE")
    scene = _scene(tmp_path, """
duration: 4
sources:
  - {file: sine.wav, position: {azimuth: 60, elevation: 0, distance: 1.4}}
listener:
  orientation: [{time: 1, yaw: 0}, {time: 1.5, yaw: 90}, {time: 2.5, yaw: 90},
                {time: 3, yaw: 0}]
""")
    assert sum(ear == STATIC for _, ear, _ in RenderPlan(scene).channels) == 3
    audio = render(scene)
    assert motion_artefact_level(audio, RATE) < -90


def test_a_source_that_pauses_on_its_way_is_still_while_it_pauses(tmp_path, noises):
    scene = _scene(tmp_path, """
duration: 6
sources:
  - file: noise0.wav
    trajectory:
      - {time: 0, azimuth: 0, elevation: 0, distance: 1.0}
      - {time: 1, azimuth: 90, elevation: 0, distance: 1.0}
      - {time: 4, azimuth: 90, elevation: 0, distance: 1.0}
      - {time: 5, azimuth: 180, elevation: 0, distance: 1.0}
""")
    plan = RenderPlan(scene)
    gates = [gate for (_, ear, _), gate in zip(plan.channels, plan.gates, strict=True)
             if ear == STATIC]
    B = plan.block_size
    # still before 0 (nothing to render there), from 1 s to 4 s and after 5 s
    assert [gate[:2] for gate in gates] == [
        (-(-RATE // B) * B, 4 * RATE // B * B), (-(-5 * RATE // B) * B, gates[-1][1])]
    reference = _scene(tmp_path, """
duration: 6
sources:
  - {file: noise0.wav, position: {azimuth: 90, elevation: 0, distance: 1.0}}
""", "held.yaml")
    y, y_held = render(scene), render(reference)
    lo, hi = int(1.05 * RATE), 4 * RATE
    peak = np.abs(y_held).max()
    np.testing.assert_allclose(y[lo:hi], y_held[lo:hi], rtol=0, atol=1e-9 * peak)


def test_a_scene_renders_the_same_after_another_scene_in_the_same_process(tmp_path, noises):
    # nothing a render leaves behind (cached tables, triangle searches)
    # changes a later render of another scene (a batch worker renders many)
    turning = _scene(tmp_path, SOURCES + """listener:
  orientation: [{time: 2, yaw: 0}, {time: 3, yaw: 40}]
""", "turning.yaml")
    other = _scene(tmp_path, """
duration: 3
sources:
  - file: noise1.wav
    trajectory: {orbit: {distance: 0.5, period: 1.5}}
  - {file: noise0.wav, position: {azimuth: 30, elevation: 0, distance: 1.0}}
""", "other.yaml")
    first = render(turning)
    render(other)
    assert np.array_equal(render(turning), first)


def test_the_thread_count_does_not_change_a_byte_of_a_mixed_scene(tmp_path, noises):
    # moving sources (several delay-line groups), still spans in their own
    # engine, a head turn: float output, where any difference would show
    from spatial_asmr import render_to_file

    scene = _scene(tmp_path, """
duration: 4
output: {bit_depth: float}
sources:
  - {file: noise0.wav, position: {azimuth: 30, elevation: 0, distance: 1.0}}
  - file: noise1.wav
    trajectory: {orbit: {distance: 0.4, period: 2}}
  - file: noise0.wav
    trajectory: {orbit: {distance: 0.9, period: 3, direction: cw}}
listener:
  orientation: [{time: 1.5, yaw: 0}, {time: 2.0, yaw: 30}]
""")
    outputs = [render_to_file(scene, tmp_path / f"t{n}.wav", threads=n).path.read_bytes()
               for n in (1, 2, 3)]
    assert outputs[0] == outputs[1] == outputs[2]
