"""Every example scene validates and renders (a short excerpt)."""

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import pytest

from spatial_asmr import load_scene, render

SCENES = sorted((Path(__file__).parent.parent / "scenes").glob("*.yaml"))


def test_there_is_an_example_for_every_trigger_and_a_long_sleep_scene():
    names = {p.stem for p in SCENES}
    for trigger in ("whisper", "hair_brush", "scissors", "paper_crinkle", "package_open",
                    "tapping", "touch"):
        assert any(n.startswith(trigger) for n in names), trigger
    assert load_scene(Path(SCENES[0]).parent / "sleep.yaml").duration >= 180


@pytest.mark.parametrize("path", SCENES, ids=[p.stem for p in SCENES])
def test_example_scene_renders_an_excerpt_with_sound_in_both_ears(path):
    scene = load_scene(path)
    excerpt = dataclasses.replace(scene, duration=1.5)
    with warnings.catch_warnings():
        # an excerpt ends before some sources start (the sleep scene's)
        warnings.filterwarnings("ignore", message=".*contributes nothing", category=Warning)
        audio, rate = render(excerpt)
    assert audio.shape == (int(1.5 * rate), 2)
    assert np.isfinite(audio).all()
    if path.stem != "sleep":  # the sleep scene starts quietly, with a fade-in
        level = 10 * np.log10(np.mean(audio.astype(float) ** 2, axis=0))
        assert (level > -80).all()
