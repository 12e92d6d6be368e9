"""The preview page, opened in a real browser (headless Chromium) as a user would.

Positions drawn by the page are read back from its SVG (whose user units are
metres) and compared with positions computed here from the scene's own
definitions (the orbit and keyframe formulas of docs/trajectories.md, the
head turn's linear yaw); mute and solo are checked in the page's Web Audio
graph (the analysers' levels).
"""

import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf
from browser import Browser

from scenes import write_scene
from spatial_asmr import write_preview
from spatial_asmr.errors import AudioFileError, OutputError

RATE = 48000
SCENE = """
sample_rate: 48000
duration: 4
listener:
  orientation: [{time: 1, yaw: 0}, {time: 3, yaw: 90}]
sources:
  - name: orbit
    file: hum.wav
    trajectory: {orbit: {distance: 0.4, period: 4, start_azimuth: 90}}
  - name: glide
    file: noise.wav
    start: 1.0
    trajectory:
      - {time: 0, azimuth: -60, elevation: -20, distance: 0.3}
      - {time: 4, azimuth: 60, elevation: 40, distance: 1.2}
"""


def _cartesian(azimuth, elevation, distance):
    a, e = np.radians(azimuth), np.radians(elevation)
    return distance * np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])


def expected_world(name, t):
    """World positions from the scene's definitions, computed independently."""
    if name == "orbit":
        return _cartesian(90 + 360 * t / 4, 0, 0.4)
    f = t / 4
    return _cartesian(-60 + 120 * f, -20 + 60 * f, 0.3 + 0.9 * f)


def yaw(t):
    return 90 * np.clip((t - 1) / 2, 0, 1)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("preview")
    t = np.arange(4 * RATE) / RATE
    sf.write(folder / "hum.wav", 0.2 * np.sin(2 * np.pi * 220 * t), RATE, subtype="FLOAT")
    noise = 0.1 * np.random.default_rng(5).standard_normal(2 * RATE)
    sf.write(folder / "noise.wav", noise, RATE, subtype="FLOAT")
    return folder


@pytest.fixture(scope="module")
def stems_page(folder):
    scene = write_scene(folder, SCENE)
    page = folder / "stems.html"
    report = write_preview(scene, page, stems=folder / "stems")
    assert report.inlined and [p.name for p in report.tracks] == ["orbit.wav", "glide.wav"]
    return page


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with Browser(tmp_path_factory.mktemp("chromium")) as browser:
        yield browser


def _scrub_to(browser, t):
    """Move the scrubber as a user drags it, and return the time drawn."""
    browser.evaluate(f"""(() => {{
        const s = document.getElementById('scrub');
        s.value = {t};
        s.dispatchEvent(new Event('input'));
        s.dispatchEvent(new Event('change'));
    }})()""")
    return float(browser.evaluate("document.getElementById('top').getAttribute('data-time')"))


def _drawn(browser, view):
    """(name, u, v) of every source dot in a view, metres."""
    return browser.evaluate(f"""[...document.querySelectorAll('#{view} .src')].map(g => {{
        const d = g.querySelector('.dot');
        return [g.dataset.name, Number(d.getAttribute('cx')), Number(d.getAttribute('cy'))];
    }})""")


def test_the_page_draws_every_source_where_the_scene_puts_it(browser, stems_page):
    browser.open(stems_page.as_uri())
    for target in (0.0, 0.7, 1.9, 2.6, 3.8):
        t = _scrub_to(browser, target)
        assert t == pytest.approx(target, abs=1e-6)
        for name, u, v in _drawn(browser, "top"):
            x, y, _ = expected_world(name, t)
            assert (u, v) == pytest.approx((-y, -x), abs=0.002), (name, t)
        for name, u, v in _drawn(browser, "side"):
            x, _, z = expected_world(name, t)
            assert (u, v) == pytest.approx((x, -z), abs=0.002), (name, t)
        # the head's nose points along its yaw in the top view
        tip = browser.evaluate("document.querySelector('#top .nose').getAttribute('points')")
        u, v = (float(c) for c in tip.split()[1].split(","))
        assert np.degrees(np.arctan2(-u, -v)) == pytest.approx(yaw(t), abs=0.01)
    assert browser.errors == []


def test_following_the_head_draws_the_positions_the_listener_hears(browser, stems_page):
    browser.open(stems_page.as_uri())
    browser.evaluate("document.getElementById('follow').click()")
    for target in (0.5, 2.0, 3.5):
        t = _scrub_to(browser, target)
        turn = np.radians(yaw(t))
        for name, u, v in _drawn(browser, "top"):
            x, y, _ = expected_world(name, t)
            # the world turned back by the head's yaw
            hx = np.cos(turn) * x + np.sin(turn) * y
            hy = -np.sin(turn) * x + np.cos(turn) * y
            assert (u, v) == pytest.approx((-hy, -hx), abs=0.002), (name, t)
    assert browser.errors == []


def test_the_timeline_shows_when_each_source_sounds(browser, stems_page):
    browser.open(stems_page.as_uri())
    spans = browser.evaluate("""[...document.querySelectorAll('#timeline .active')].map(r =>
        [r.dataset.name, Number(r.getAttribute('x')), Number(r.getAttribute('width'))])""")
    lane = browser.evaluate("""(() => { const r = document.querySelector('#timeline .lane');
        return [Number(r.getAttribute('x')), Number(r.getAttribute('width'))]; })()""")
    # hum.wav sounds 0-4 s; noise.wav (2 s) from 1 s
    expected = {"orbit": (0.0, 4.0), "glide": (1.0, 3.0)}
    for name, x, width in spans:
        a, b = expected[name]
        assert (x - lane[0]) / lane[1] * 4 == pytest.approx(a, abs=0.01)
        assert width / lane[1] * 4 == pytest.approx(b - a, abs=0.01)
    _scrub_to(browser, 0.5)
    idle = browser.evaluate("[...document.querySelectorAll('#top .src.idle')]"
                            ".map(g => g.dataset.name)")
    assert idle == ["glide"]
    _scrub_to(browser, 1.5)
    assert browser.evaluate("document.querySelectorAll('#top .src.idle').length") == 0


def _levels(browser, settle=0.35):
    time.sleep(settle)
    return browser.evaluate("preview.levels()")


def _press(browser, name, kind):
    browser.evaluate(f"document.querySelector('.row[data-name=\"{name}\"] .{kind}').click()")


def test_mute_and_solo_change_what_the_web_audio_graph_plays(browser, stems_page):
    browser.open(stems_page.as_uri())
    _scrub_to(browser, 1.2)
    browser.evaluate("preview.play()", await_promise=True)
    both = _levels(browser, 0.5)
    assert browser.evaluate("preview.time()") > 1.4  # it plays
    orbit, glide = both["tracks"]
    assert orbit > 0.01 and glide > 0.01
    _press(browser, "orbit", "mute")
    muted = _levels(browser)
    assert muted["tracks"][0] == 0.0 and muted["tracks"][1] > 0.01
    assert muted["master"] < 0.9 * both["master"]
    assert muted["master"] == pytest.approx(muted["tracks"][1], rel=0.05)
    _press(browser, "orbit", "mute")  # back on
    _press(browser, "orbit", "solo")
    soloed = _levels(browser)
    assert soloed["tracks"][0] > 0.01 and soloed["tracks"][1] == 0.0
    assert soloed["master"] == pytest.approx(soloed["tracks"][0], rel=0.05)
    browser.evaluate("preview.stop()")
    assert browser.errors == []
    assert all(url.startswith("file:") for url in browser.requests)  # nothing from a network


def test_a_long_track_is_referenced_beside_the_page_and_still_plays(browser, folder, tmp_path):
    write_scene(folder, SCENE, "long.yaml")
    mix = tmp_path / "mix.flac"
    sf.write(mix, 0.1 * np.random.default_rng(1).standard_normal((4 * RATE, 2)), RATE,
             subtype="PCM_24")
    page = tmp_path / "long.html"
    run = subprocess.run([sys.executable, "-m", "spatial_asmr", "preview",
                          str(folder / "long.yaml"), "-o", str(page), "--audio", str(mix),
                          "--inline-limit", "1K"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "beside the page" in run.stderr
    text = page.read_text()
    assert '"src":"mix.flac"' in text and "base64" not in text
    browser.open(page.as_uri())
    browser.evaluate("preview.play()", await_promise=True)
    time.sleep(0.6)
    assert browser.evaluate("preview.time()") > 0.3
    browser.evaluate("preview.stop()")
    assert "no level meters" in browser.evaluate("document.getElementById('hint').textContent")
    assert browser.errors == []
    assert set(browser.requests) == {page.as_uri(), mix.as_uri()}


def test_a_mix_without_stems_is_inlined_and_the_buttons_are_off(browser, folder, tmp_path):
    scene = write_scene(folder, SCENE)
    page = tmp_path / "mix.html"
    report = write_preview(scene, page)
    assert report.inlined and report.rendered == ()
    assert list(tmp_path.iterdir()) == [page]  # the rendered mix is inside it only
    browser.open(page.as_uri())
    assert browser.evaluate("[...document.querySelectorAll('.row button')]"
                            ".every(b => b.disabled)")
    assert browser.evaluate("preview.data.sources.length") == 2
    assert browser.errors == []


def test_names_that_look_like_the_pages_placeholders_stay_names(browser, folder, tmp_path):
    scene = write_scene(folder, SCENE.replace("name: orbit", "name: __AUDIO__</script>")
                        .replace("name: glide", "name: __DATA__"), "odd.yaml")
    page = tmp_path / "odd.html"
    write_preview(scene, page, audio=folder / "hum.wav")
    browser.open(page.as_uri())
    assert browser.evaluate("preview.data.sources.map(s => s.name)") == [
        "__AUDIO__</script>", "__DATA__"]
    assert browser.errors == []


def test_bad_preview_arguments_are_clear_errors(folder, tmp_path):
    scene = write_scene(folder, SCENE, "bad.yaml")
    with pytest.raises(AudioFileError, match="audio file .*missing.wav.* does not exist"):
        write_preview(scene, tmp_path / "p.html", audio=tmp_path / "missing.wav")
    (tmp_path / "empty").mkdir()
    with pytest.raises(AudioFileError, match="lacks orbit.wav, glide.wav"):
        write_preview(scene, tmp_path / "p.html", audio=folder / "hum.wav",
                      stems=tmp_path / "empty")
    sf.write(tmp_path / "empty.wav", np.zeros((0, 2)), RATE)
    with pytest.raises(AudioFileError, match="empty.wav.* holds no samples"):
        write_preview(scene, tmp_path / "p.html", audio=tmp_path / "empty.wav")
    with pytest.raises(OutputError, match="must be '.html'"):
        write_preview(scene, tmp_path / "p.txt", audio=folder / "hum.wav")
    run = subprocess.run([sys.executable, "-m", "spatial_asmr", "preview",
                          str(folder / "bad.yaml"), "-o", str(tmp_path / "p.html"),
                          "--audio", str(tmp_path / "missing.wav")],
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stderr.startswith("error: audio file") and "Traceback" not in run.stderr
    assert not (tmp_path / "p.html").exists()
