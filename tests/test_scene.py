"""Tests of spatial_asmr.scene: reading and validating scene files."""

import dataclasses
import json
import re
import textwrap
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import soundfile as sf

from spatial_asmr.errors import SceneError, SceneProblem
from spatial_asmr.scene import (
    BUNDLED_HRTFS,
    Keyframe,
    OutputSettings,
    RenderSettings,
    Scene,
    SourceSpec,
    load_scene,
    parse_scene,
)
from spatial_asmr.scene.schema import SCENE_SCHEMA

pytestmark = pytest.mark.filterwarnings("error")

# Line numbers matter: the parametrised cases below edit single lines.
FULL_SCENE = """\
sample_rate: 44100
duration: 4.0
hrtf: kemar
render:
  interpolation: nearest
  block_size: 256
  distance_gain: false
output:
  bit_depth: 16
sources:
  - name: voice
    file: voice.wav
    gain_db: -3
    position: {azimuth: 30, elevation: 0, distance: 1.4}
  - name: sweep
    file: brush.flac
    trajectory:
      - {time: 0, azimuth: 0, elevation: 0, distance: 1.4}
      - {time: 2, azimuth: 360, elevation: 0, distance: 1.4}
"""

MINIMAL_SCENE = """\
sources:
  - file: voice.wav
    position: {azimuth: 0, elevation: 0, distance: 1}
"""


def edit(text, changes):
    """Replace 1-based lines of `text`; a replacement may span lines."""
    lines = text.splitlines()
    for number, replacement in changes.items():
        lines[number - 1] = replacement
    return "\n".join(lines) + "\n"


def write_audio(path, channels=1):
    shape = (480,) if channels == 1 else (480, channels)
    sf.write(path, np.zeros(shape), 48000)
    return path


@pytest.fixture
def scene_dir(tmp_path):
    """A folder with the audio files the scenes here refer to."""
    write_audio(tmp_path / "voice.wav")
    write_audio(tmp_path / "brush.flac")
    write_audio(tmp_path / "stereo.wav", channels=2)
    (tmp_path / "noise.wav").write_bytes(b"this is not audio")
    return tmp_path


def write_scene(folder, text, name="scene.yaml"):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path):
    with pytest.raises(SceneError) as info:
        load_scene(path)
    return info.value.problems


# -- valid scenes -------------------------------------------------------------


def test_a_full_scene_is_loaded_with_every_value_as_plain_python(scene_dir):
    path = write_scene(scene_dir, FULL_SCENE)

    scene = load_scene(path)

    assert scene == Scene(
        sources=(
            SourceSpec(name="voice", file=scene_dir.resolve() / "voice.wav",
                       gain_db=-3.0, position=(30.0, 0.0, 1.4)),
            SourceSpec(name="sweep", file=scene_dir.resolve() / "brush.flac",
                       trajectory=(Keyframe(0.0, 0.0, 0.0, 1.4),
                                   Keyframe(2.0, 360.0, 0.0, 1.4))),
        ),
        sample_rate=44100,
        duration=4.0,
        hrtf="kemar",
        render=RenderSettings(interpolation="nearest", block_size=256,
                              distance_gain=False),
        output=OutputSettings(bit_depth=16),
        path=path.resolve(),
    )
    assert type(scene.sample_rate) is int
    assert type(scene.render.block_size) is int
    assert type(scene.render.distance_gain) is bool
    assert type(scene.output.bit_depth) is int
    assert type(scene.sources[0].gain_db) is float
    assert [type(value) for value in scene.sources[0].position] == [float] * 3
    assert type(scene.sources[1].trajectory[1].azimuth) is float
    assert type(scene.sources[0].name) is str


def test_every_source_gets_one_motion_whatever_form_the_scene_gives(scene_dir):
    from spatial_asmr.motion.paths import Fixed, Keyframes, Orbit

    text = FULL_SCENE + "  - file: voice.wav\n    trajectory: {orbit: {distance: 1, period: 4}}\n"
    scene = load_scene(write_scene(scene_dir, text))

    still, keyed, orbit = (source.motion for source in scene.sources)
    assert still == Fixed((30.0, 0.0, 1.4)) and still.fixed
    assert keyed == Keyframes([0.0, 2.0], [(0.0, 0.0, 1.4), (360.0, 0.0, 1.4)])
    assert orbit == Orbit(1.0, period=4.0) and not keyed.fixed and not orbit.fixed
    np.testing.assert_allclose(keyed.positions([1.0]), [[-1.4, 0.0, 0.0]], atol=1e-12)
    assert scene.sources[2].position is None and scene.sources[2].trajectory is None


def test_a_source_built_in_python_takes_a_position_or_keyframes_as_its_motion():
    from spatial_asmr.errors import ArgumentError
    from spatial_asmr.motion.paths import Fixed

    spec = SourceSpec("a", None, position=(30, 0, 1.4))
    assert spec.motion == Fixed((30.0, 0.0, 1.4)) and spec.position == (30.0, 0.0, 1.4)
    assert dataclasses.replace(spec, start=1.0).motion == spec.motion
    with pytest.raises(ArgumentError, match="has one motion but was given more than one"):
        SourceSpec("a", None, position=(30, 0, 1.4), motion=Fixed((0, 0, 1)))


def test_a_minimal_scene_gets_the_documented_defaults(scene_dir):
    scene = load_scene(write_scene(scene_dir, MINIMAL_SCENE))

    assert scene.sample_rate == 48000
    assert scene.duration is None
    assert scene.hrtf == "kemar"
    assert scene.render == RenderSettings("barycentric", 128, True)
    assert scene.output == OutputSettings(24)
    (source,) = scene.sources
    assert source.name == "source0"
    assert source.gain_db == 0.0
    assert source.trajectory is None


def test_default_names_use_the_0_based_index_of_the_source(scene_dir):
    text = MINIMAL_SCENE + textwrap.indent(textwrap.dedent("""\
        - name: second
          file: voice.wav
          position: {azimuth: 0, elevation: 0, distance: 1}
        - file: voice.wav
          position: {azimuth: 0, elevation: 0, distance: 1}
        """), "  ")

    scene = load_scene(write_scene(scene_dir, text))

    assert [source.name for source in scene.sources] == [
        "source0", "second", "source2"]


@pytest.mark.parametrize(("changes", "attribute", "expected"), [
    ({2: "duration: null"}, "duration", None),
    ({2: "duration: 3"}, "duration", 3.0),
    ({1: "sample_rate: 48000.0"}, "sample_rate", 48000),
    ({4: "render:", 5: "", 6: "", 7: ""}, "render", RenderSettings()),
    ({8: "output:", 9: ""}, "output", OutputSettings()),
    ({9: "  bit_depth: float"}, "output", OutputSettings("float")),
    ({9: "  bit_depth: 24"}, "output", OutputSettings(24)),
    ({3: "hrtf: KEMAR"}, "hrtf", "kemar"),
], ids=["null duration", "integer duration", "integral float sample rate",
        "empty render", "empty output", "float bit depth", "24 bit",
        "bundled name in capitals"])
def test_accepted_spellings_give_plain_values(scene_dir, changes, attribute,
                                              expected):
    scene = load_scene(write_scene(scene_dir, edit(FULL_SCENE, changes)))

    value = getattr(scene, attribute)
    assert value == expected
    assert type(value) is type(expected)


def test_paths_are_relative_to_the_scene_folder_not_the_working_directory(
        tmp_path, monkeypatch):
    scenes = tmp_path / "project" / "scenes"
    (scenes / "audio").mkdir(parents=True)
    (tmp_path / "project" / "hrtf").mkdir()
    write_audio(scenes / "audio" / "voice.wav")
    sofa = tmp_path / "project" / "hrtf" / "mine.sofa"
    sofa.write_bytes(b"placeholder: only its existence is checked here")
    write_scene(scenes, edit(MINIMAL_SCENE, {2: "  - file: audio/voice.wav"})
                + "hrtf: ../hrtf/mine.sofa\n")
    monkeypatch.chdir(tmp_path)

    scene = load_scene("project/scenes/scene.yaml")

    assert scene.sources[0].file == scenes.resolve() / "audio" / "voice.wav"
    assert scene.sources[0].file.is_absolute()
    assert scene.hrtf == str(sofa.resolve())
    assert scene.path == (scenes / "scene.yaml").resolve()


@pytest.mark.parametrize("as_type", [str, Path], ids=["str", "Path"])
def test_load_scene_accepts_str_and_pathlib_paths(scene_dir, as_type):
    path = write_scene(scene_dir, MINIMAL_SCENE)

    assert load_scene(as_type(path)).path == path.resolve()


def test_parse_scene_validates_text_without_a_scene_file(scene_dir):
    scene = parse_scene(MINIMAL_SCENE, "<text>", scene_dir)

    assert scene.path is None
    assert scene.sources[0].file == scene_dir.resolve() / "voice.wav"
    with pytest.raises(SceneError, match=re.escape(
            "<text>:1: sample_rate is 1 but must be >= 8000")):
        parse_scene("sample_rate: 1\n" + MINIMAL_SCENE, "<text>", scene_dir)


def test_anchors_and_aliases_are_followed(scene_dir):
    text = textwrap.dedent("""\
        sources:
          - file: voice.wav
            position: &front {azimuth: 0, elevation: 0, distance: 1}
          - file: voice.wav
            position: *front
        """)

    scene = load_scene(write_scene(scene_dir, text))

    assert scene.sources[1].position == (0.0, 0.0, 1.0)


def test_scene_values_are_frozen(scene_dir):
    scene = load_scene(write_scene(scene_dir, FULL_SCENE))

    with pytest.raises(dataclasses.FrozenInstanceError):
        scene.sample_rate = 8000
    with pytest.raises(dataclasses.FrozenInstanceError):
        scene.sources[1].trajectory[0].time = 1.0


# -- the schema ---------------------------------------------------------------


def schema_properties(schema, path=()):
    """Yield (path, subschema) for every property in `schema`."""
    for name, sub in schema.get("properties", {}).items():
        yield path + (name,), sub
        yield from schema_properties(sub, path + (name,))
    for name, sub in schema.get("$defs", {}).items():
        yield from schema_properties(sub, path + ("$defs", name))


def test_the_schema_is_valid_draft_2020_12_and_printable_as_json():
    jsonschema.Draft202012Validator.check_schema(SCENE_SCHEMA)

    assert json.loads(json.dumps(SCENE_SCHEMA)) == SCENE_SCHEMA


def test_every_key_in_the_schema_has_a_title_and_a_description():
    resolved = 0
    for path, sub in schema_properties(SCENE_SCHEMA):
        if "$ref" in sub:
            name = sub["$ref"].rsplit("/", 1)[-1]
            sub = SCENE_SCHEMA["$defs"][name]
        assert sub.get("title"), path
        assert sub.get("description"), path
        resolved += 1
    assert resolved > 15


TOP = SCENE_SCHEMA["properties"]
RENDER = TOP["render"]["properties"]
SOURCE = SCENE_SCHEMA["$defs"]["source"]["properties"]


@pytest.mark.parametrize(("key", "schema", "instance", "field"), [
    ("sample_rate", TOP, Scene(sources=()), "sample_rate"),
    ("duration", TOP, Scene(sources=()), "duration"),
    ("hrtf", TOP, Scene(sources=()), "hrtf"),
    ("interpolation", RENDER, RenderSettings(), "interpolation"),
    ("block_size", RENDER, RenderSettings(), "block_size"),
    ("distance_gain", RENDER, RenderSettings(), "distance_gain"),
    ("reference_distance", RENDER, RenderSettings(), "reference_distance"),
    ("hrtf_level", RENDER, RenderSettings(), "hrtf_level"),
    ("bit_depth", TOP["output"]["properties"], OutputSettings(), "bit_depth"),
    ("gain_db", SOURCE, SourceSpec("x", Path()), "gain_db"),
], ids=lambda value: value if isinstance(value, str) else "")
def test_schema_defaults_match_the_dataclass_defaults(key, schema, instance,
                                                      field):
    assert schema[key]["default"] == getattr(instance, field)


# -- broken fields ------------------------------------------------------------

KEYFRAME = "{time: 0, azimuth: 0, elevation: 0, distance: 1.4}"

BROKEN_FIELDS = [
    # (changes to FULL_SCENE, line, field path, message)
    ({1: "sample_rate: fast"}, 1, "sample_rate",
     "sample_rate is 'fast' but must be an integer"),
    ({1: "sample_rate: 44100.5"}, 1, "sample_rate",
     "sample_rate is 44100.5 but must be an integer"),
    ({1: "sample_rate: true"}, 1, "sample_rate",
     "sample_rate is true but must be an integer"),
    ({1: "sample_rate: 4000"}, 1, "sample_rate",
     "sample_rate is 4000 but must be >= 8000"),
    ({1: "sample_rate: 400000"}, 1, "sample_rate",
     "sample_rate is 400000 but must be <= 384000"),
    ({2: "duration: 0"}, 2, "duration", "duration is 0 but must be > 0"),
    ({2: "duration: .nan"}, 2, "duration",
     "duration is nan but must be a finite number or null"),
    ({2: "duration: true"}, 2, "duration",
     "duration is true but must be a number or null"),
    ({3: "hrtf: cipic"}, 3, "hrtf",
     "hrtf is 'cipic' but must be a bundled name (kemar, sphere) or an existing "
     ".sofa file"),
    ({3: "hrtf: ''"}, 3, "hrtf", "hrtf is '' but must be a non-empty string"),
    ({4: "render: [nearest]", 5: "", 6: "", 7: ""}, 4, "render",
     "render is a list but must be a mapping or null"),
    ({5: "  interpolation: cubic"}, 5, "render.interpolation",
     "render.interpolation is 'cubic' but must be one of 'barycentric', "
     "'nearest'"),
    ({6: "  block_size: 100"}, 6, "render.block_size",
     "render.block_size is 100 but must be a power of two (16, 32, 64, ..., "
     "8192)"),
    ({6: "  block_size: 8"}, 6, "render.block_size",
     "render.block_size is 8 but must be >= 16"),
    ({6: "  block_size: 16384"}, 6, "render.block_size",
     "render.block_size is 16384 but must be <= 8192"),
    ({6: "  block_size: '128'"}, 6, "render.block_size",
     "render.block_size is '128' but must be an integer"),
    ({7: "  distance_gain: 1"}, 7, "render.distance_gain",
     "render.distance_gain is 1 but must be a boolean (true or false)"),
    ({7: "  distance_gain: yes"}, 7, "render.distance_gain",
     "render.distance_gain is 'yes' but must be a boolean (true or false)"),
    ({7: "  reference_distance: 0"}, 7, "render.reference_distance",
     "render.reference_distance is 0 but must be > 0"),
    ({7: "  reference_distance: 101"}, 7, "render.reference_distance",
     "render.reference_distance is 101 but must be <= 100"),
    ({7: "  hrtf_level: diffuse"}, 7, "render.hrtf_level",
     "render.hrtf_level is 'diffuse' but must be one of 'frontal', 'measured'"),
    ({13: "    reference_distance: -1"}, 13, "sources[0].reference_distance",
     "sources[0].reference_distance is -1 but must be > 0"),
    ({13: "    reference_distance: near"}, 13, "sources[0].reference_distance",
     "sources[0].reference_distance is 'near' but must be a number"),
    ({9: "  bit_depth: 32"}, 9, "output.bit_depth",
     "output.bit_depth is 32 but must be one of 16, 24, 'float'"),
    ({9: "  bit_depth: '24'"}, 9, "output.bit_depth",
     "output.bit_depth is '24' but must be one of 16, 24, 'float'"),
    ({10: "sources: []", **{n: "" for n in range(11, 20)}}, 10, "sources",
     "sources is an empty list but must have at least 1 source"),
    ({10: "sources: voice.wav", **{n: "" for n in range(11, 20)}}, 10,
     "sources", "sources is 'voice.wav' but must be a list"),
    ({11: "  - name: ''"}, 11, "sources[0].name",
     "sources[0].name is '' but must be a non-empty string"),
    ({11: "  - name: 7"}, 11, "sources[0].name",
     "sources[0].name is 7 but must be a string"),
    ({15: "  - name: voice"}, 15, "sources[1].name",
     "sources[1].name is 'voice' but must be unique; sources[0] has that "
     "name"),
    ({11: "  - name: source1", 15: "", 16: "  - file: brush.flac"}, 16,
     "sources[1].name",
     "sources[1].name is 'source1' (by default) but must be unique; "
     "sources[0] has that name"),
    ({12: ""}, 11, "sources[0]",
     "sources[0] has neither file nor generator but must have exactly one of them"),
    ({12: "    file: [voice.wav]"}, 12, "sources[0].file",
     "sources[0].file is a list but must be a string"),
    ({13: "    gain_db: true"}, 13, "sources[0].gain_db",
     "sources[0].gain_db is true but must be a number"),
    ({13: "    gain_db: -121"}, 13, "sources[0].gain_db",
     "sources[0].gain_db is -121 but must be >= -120"),
    ({13: "    gain_db: 40.5"}, 13, "sources[0].gain_db",
     "sources[0].gain_db is 40.5 but must be <= 40"),
    ({14: "    position: {azimuth: 30, elevation: 0, distance: -0.3}"}, 14,
     "sources[0].position.distance",
     "sources[0].position.distance is -0.3 but must be > 0"),
    ({14: "    position: {azimuth: 30, elevation: 0, distance: 101}"}, 14,
     "sources[0].position.distance",
     "sources[0].position.distance is 101 but must be <= 100"),
    ({14: "    position: {azimuth: 30, elevation: 91, distance: 1}"}, 14,
     "sources[0].position.elevation",
     "sources[0].position.elevation is 91 but must be <= 90"),
    ({14: "    position: {azimuth: 30, elevation: -90.5, distance: 1}"}, 14,
     "sources[0].position.elevation",
     "sources[0].position.elevation is -90.5 but must be >= -90"),
    ({14: "    position: {azimuth: .inf, elevation: 0, distance: 1}"}, 14,
     "sources[0].position.azimuth",
     "sources[0].position.azimuth is inf but must be a finite number"),
    ({14: "    position: {azimuth: false, elevation: 0, distance: 1}"}, 14,
     "sources[0].position.azimuth",
     "sources[0].position.azimuth is false but must be a number"),
    ({14: "    position: {azimuth: 30, distance: 1}"}, 14,
     "sources[0].position.elevation",
     "sources[0].position.elevation is missing (required)"),
    ({14: "    position: [30, 0, 1.4]"}, 14, "sources[0].position",
     "sources[0].position is a list but must be a mapping"),
    ({14: "    position:\n      azimuth: 30\n      elevation:\n"
          "      distance: 1"}, 16, "sources[0].position.elevation",
     "sources[0].position.elevation is null but must be a number"),
    ({18: "      - {time: -1, azimuth: 0, elevation: 0, distance: 1.4}"}, 18,
     "sources[1].trajectory[0].time",
     "sources[1].trajectory[0].time is -1 but must be >= 0"),
    ({18: "      - {azimuth: 0, elevation: 0, distance: 1.4}"}, 18,
     "sources[1].trajectory[0].time",
     "sources[1].trajectory[0].time is missing (required)"),
    ({18: "      - 0"}, 18, "sources[1].trajectory[0]",
     "sources[1].trajectory[0] is 0 but must be a mapping"),
    ({19: ""}, 17, "sources[1].trajectory",
     "sources[1].trajectory has 1 keyframe but must have at least 2 "
     "keyframes"),
    ({19: "      - {time: 0, azimuth: 360, elevation: 0, distance: 1.4}"}, 19,
     "sources[1].trajectory[1].time",
     "sources[1].trajectory[1].time is 0 but must be greater than "
     "sources[1].trajectory[0].time, which is 0 (times must strictly "
     "increase)"),
    ({19: "      - {time: 2, azimuth: 360, elevation: 0, distance: 1.4}\n"
          "      - {time: 1.5, azimuth: 0, elevation: 0, distance: 1.4}"}, 20,
     "sources[1].trajectory[2].time",
     "sources[1].trajectory[2].time is 1.5 but must be greater than "
     "sources[1].trajectory[1].time, which is 2 (times must strictly "
     "increase)"),
    ({14: ""}, 11, "sources[0]",
     "sources[0] has neither position nor trajectory but must have exactly "
     "one of them"),
    ({19: f"      - {KEYFRAME.replace('time: 0', 'time: 2')}\n"
          "    position: {azimuth: 0, elevation: 0, distance: 1}"}, 15,
     "sources[1]",
     "sources[1] has both position and trajectory but must have exactly one "
     "of them"),
    ({3: "hrtf: kemar\ntempo: 120"}, 4, "tempo",
     "tempo is not a known key; allowed: sample_rate, duration, hrtf, "
     "render, output, listener, sources"),
    ({1: "Sample_Rate: 44100"}, 1, "Sample_Rate",
     "Sample_Rate is not a known key; allowed: sample_rate, duration, hrtf, "
     "render, output, listener, sources; did you mean sample_rate?"),
    ({6: "  blocksize: 128"}, 6, "render.blocksize",
     "render.blocksize is not a known key; allowed: interpolation, "
     "block_size, distance_gain, reference_distance, hrtf_level, near_field, head_radius, "
     "doppler, engine, basis_size; "
     "did you mean block_size?"),
    ({9: "  bitdepth: 24"}, 9, "output.bitdepth",
     "output.bitdepth is not a known key; allowed: bit_depth, normalize; did you mean "
     "bit_depth?"),
    ({13: "    gain: -3"}, 13, "sources[0].gain",
     "sources[0].gain is not a known key; allowed: name, file, generator, channel, "
     "start, trim, loop, fade_in, fade_out, gain_db, reference_distance, position, "
     "trajectory; did you mean "
     "gain_db?"),
    ({14: "    position: {azimuth: 30, elevation: 0, distance: 1, az: 3}"},
     14, "sources[0].position.az",
     "sources[0].position.az is not a known key; allowed: azimuth, "
     "elevation, distance"),
    ({19: "      - {time: 2, azimuth: 360, elevation: 0, distance: 1.4, "
          "tiem: 3}"}, 19, "sources[1].trajectory[1].tiem",
     "sources[1].trajectory[1].tiem is not a known key; allowed: time, "
     "azimuth, elevation, distance; did you mean time?"),
]


@pytest.mark.parametrize(("changes", "line", "field", "message"),
                         BROKEN_FIELDS,
                         ids=[case[2] + ": " + case[3].split(" but ")[-1]
                              for case in BROKEN_FIELDS])
def test_each_broken_field_is_reported_with_file_line_path_and_message(
        scene_dir, changes, line, field, message):
    path = write_scene(scene_dir, edit(FULL_SCENE, changes))

    with pytest.raises(SceneError, match=re.escape(f"{path}:{line}: {message}")
                       ) as info:
        load_scene(path)

    assert info.value.problems == [SceneProblem(str(path), line, field,
                                                message)]


def test_a_broken_scene_reports_every_problem_at_once_in_line_order(
        scene_dir):
    text = textwrap.dedent("""\
        sample_rate: fast
        duration: -1
        render:
          blocksize: 128
          distance_gain: 1
        sources:
          - name: voice
            file: stereo.wav
            position: {azimuth: 30, elevation: 0, distance: -0.3}
          - name: voice
            file: voice.wav
            trajectory:
              - {time: 1, azimuth: 0, elevation: 0, distance: 1}
              - {time: 1, azimuth: 90, elevation: 0, distance: 1}
        """)
    path = write_scene(scene_dir, text)

    problems = problems_of(path)

    assert [(problem.line, problem.path) for problem in problems] == [
        (1, "sample_rate"),
        (2, "duration"),
        (4, "render.blocksize"),
        (5, "render.distance_gain"),
        (8, "sources[0].file"),
        (9, "sources[0].position.distance"),
        (10, "sources[1].name"),
        (14, "sources[1].trajectory[1].time"),
    ]
    assert all(problem.file == str(path) for problem in problems)
    with pytest.raises(SceneError, match=r"^8 problems in scene:\n- "):
        load_scene(path)


def test_scene_error_can_be_caught_as_value_error(scene_dir):
    path = write_scene(scene_dir, "sample_rate: fast\n" + MINIMAL_SCENE)

    with pytest.raises(ValueError, match="sample_rate is 'fast'"):
        load_scene(path)


# -- files that are not scenes ------------------------------------------------


@pytest.mark.parametrize(("text", "line", "message"), [
    ("sources: [voice.wav\nsample_rate: 48000\n", 2,
     "not valid YAML: expected ',' or ']', but got ':' (while parsing a flow "
     "sequence started on line 1)"),
    ("sample_rate: 48000\n  duration: 2\n", 2,
     "not valid YAML: mapping values are not allowed here"),
    ("sources:\n\t- file: voice.wav\n", 2,
     "not valid YAML: found character '\\t' that cannot start any token"),
    ("hrtf: 'kemar\n", 2,
     "not valid YAML: found unexpected end of stream"),
    ("sample_rate: 48000\n---\nsample_rate: 44100\n", 2,
     "not valid YAML: but found another document"),
], ids=["unclosed list", "bad indentation", "tab", "unclosed quote",
        "two documents"])
def test_yaml_syntax_errors_are_reported_at_the_parsers_line(
        scene_dir, text, line, message):
    path = write_scene(scene_dir, text)

    with pytest.raises(SceneError,
                       match=re.escape(f"{path}:{line}: {message}")):
        load_scene(path)


def test_every_duplicate_key_is_reported_with_its_line(scene_dir):
    text = textwrap.dedent("""\
        sample_rate: 48000
        render:
          block_size: 128
          block_size: 256
        sources:
          - file: voice.wav
            position: {azimuth: 0, elevation: 0, distance: 1, azimuth: 90}
        sample_rate: 44100
        """)
    path = write_scene(scene_dir, text)

    problems = problems_of(path)

    assert problems == [
        SceneProblem(str(path), 4, "render.block_size",
                     "render.block_size is given twice (first on line 3) "
                     "but each key must appear only once"),
        SceneProblem(str(path), 7, "sources[0].position.azimuth",
                     "sources[0].position.azimuth is given twice (first on "
                     "line 7) but each key must appear only once"),
        SceneProblem(str(path), 8, "sample_rate",
                     "sample_rate is given twice (first on line 1) but each "
                     "key must appear only once"),
    ]


def test_duplicate_keys_do_not_hide_other_problems(scene_dir):
    text = "sample_rate: 1\nsample_rate: 48000\n" + MINIMAL_SCENE
    path = write_scene(scene_dir, text)

    assert [problem.line for problem in problems_of(path)] == [1, 2]


@pytest.mark.parametrize(("text", "line", "message"), [
    ("", None, "the scene is empty but must be a mapping with at least "
               "'sources'"),
    ("# only a comment\n", None, "the scene is empty but must be a mapping "
                                 "with at least 'sources'"),
    ("- file: voice.wav\n", 1, "the top level is a list but must be a "
                               "mapping of scene settings"),
    ("voice.wav\n", 1, "the top level is 'voice.wav' but must be a mapping "
                       "of scene settings"),
], ids=["empty", "comment", "list", "string"])
def test_a_top_level_that_is_not_a_mapping_is_an_error(scene_dir, text, line,
                                                       message):
    path = write_scene(scene_dir, text)
    where = f"{path}:{line}" if line else str(path)

    with pytest.raises(SceneError, match=re.escape(f"{where}: {message}")):
        load_scene(path)


def test_a_missing_scene_file_is_an_error_naming_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    with pytest.raises(SceneError, match=re.escape(
            f"nowhere.yaml: scene file does not exist (looked for "
            f"{tmp_path.resolve() / 'nowhere.yaml'})")) as info:
        load_scene("nowhere.yaml")

    assert info.value.problems[0].file == "nowhere.yaml"


def test_a_folder_given_as_scene_file_is_an_error(tmp_path):
    with pytest.raises(SceneError, match=re.escape(
            f"{tmp_path}: scene file is a folder but must be a file")):
        load_scene(tmp_path)


def test_a_scene_file_that_is_not_utf8_is_an_error_with_its_line(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("sources:\n  - name: café\n".encode("latin-1"))

    with pytest.raises(SceneError, match=re.escape(
            f"{path}:2: scene file is not UTF-8 text: byte 0xe9 cannot be "
            "decoded")):
        load_scene(path)


# -- audio and HRTF files -----------------------------------------------------


@pytest.mark.parametrize("channels", [2, 4])
def test_a_multichannel_source_file_is_named_with_its_channel_count(
        scene_dir, channels):
    write_audio(scene_dir / "many.wav", channels=channels)
    path = write_scene(scene_dir, edit(FULL_SCENE, {12: "    file: many.wav"}))
    resolved = scene_dir.resolve() / "many.wav"

    with pytest.raises(SceneError, match=re.escape(
            f"{path}:12: sources[0].file is 'many.wav' but must be a mono "
            f"audio file (or pick one with channel:); {resolved} has {channels} channels")):
        load_scene(path)


def test_an_unreadable_audio_file_is_named(scene_dir):
    path = write_scene(scene_dir,
                       edit(FULL_SCENE, {16: "    file: noise.wav"}))
    resolved = scene_dir.resolve() / "noise.wav"

    with pytest.raises(SceneError, match=re.escape(
            f"{path}:16: sources[1].file is 'noise.wav' but must be an audio "
            f"file soundfile can read; {resolved} cannot be read: ")):
        load_scene(path)


@pytest.mark.parametrize(("name", "reason"), [
    ("missing.wav", "does not exist (paths are relative to the folder of the "
                    "scene file)"),
    ("../voice.wav", "does not exist (paths are relative to the folder of "
                     "the scene file)"),
    (".", "is a folder"),
], ids=["missing", "relative to the working directory", "folder"])
def test_a_missing_audio_file_names_the_resolved_path(scene_dir, name,
                                                      reason):
    path = write_scene(scene_dir, edit(FULL_SCENE, {12: f"    file: {name}"}))
    resolved = (scene_dir / name).resolve()
    expected = "an existing audio file" if "exist" in reason else (
        "an audio file")

    with pytest.raises(SceneError, match=re.escape(
            f"{path}:12: sources[0].file is {name!r} but must be {expected}; "
            f"{resolved} {reason}")):
        load_scene(path)


def test_kemar_is_the_only_bundled_hrtf():
    assert BUNDLED_HRTFS == ("kemar", "sphere")


@pytest.mark.parametrize(("name", "detail"), [
    ("kemar.sofa", "; {folder}/kemar.sofa does not exist"),
    ("hrtf/kemar", "; {folder}/hrtf/kemar is not a .sofa file"),
    ("kemar2", ""),
], ids=["missing sofa", "not sofa", "unknown bundled name"])
def test_an_hrtf_that_is_neither_bundled_nor_an_existing_sofa_file_is_an_error(
        scene_dir, name, detail):
    path = write_scene(scene_dir, edit(FULL_SCENE, {3: f"hrtf: {name}"}))
    detail = detail.format(folder=scene_dir.resolve())

    with pytest.raises(SceneError, match=re.escape(
            f"{path}:3: hrtf is {name!r} but must be a bundled name (kemar, sphere) "
            f"or an existing .sofa file{detail}")):
        load_scene(path)


def test_an_alias_that_contains_itself_is_reported_once(tmp_path):
    path = write_scene(tmp_path, "&scene\nsources: *scene\n")

    assert problems_of(path) == [SceneProblem(
        str(path), 2, "sources",
        "sources is a recursive alias but must be a plain value")]


def test_long_values_are_shortened_in_messages(scene_dir):
    path = write_scene(scene_dir,
                       edit(FULL_SCENE, {1: "sample_rate: " + "9" * 100}))

    with pytest.raises(SceneError, match=re.escape(
            f"{path}:1: sample_rate is {'9' * 57}... but must be <= 384000")):
        load_scene(path)


@pytest.mark.parametrize(("normalize", "message"), [
    ("loud", "output.normalize is 'loud' but must be 'none', {peak: dBTP} or "
             "{loudness: LUFS or a platform preset}"),
    ("{peak: -1, loudness: -23}", "output.normalize has loudness, peak but must have "
                                  "exactly one of peak, loudness"),
    ("{loudness: 3}", "output.normalize.loudness is 3 but must be <= -5"),
    ("{rms: -20}", "output.normalize.rms is not a known key"),
])
def test_bad_normalisation_is_reported_with_its_line(tmp_path, normalize, message):
    from spatial_asmr.scene.load import load_scene

    sf.write(tmp_path / "a.wav", np.zeros(100), 48000)
    path = tmp_path / "scene.yaml"
    path.write_text(f"output:\n  normalize: {normalize}\nsources:\n  - file: a.wav\n"
                    "    position: {azimuth: 0, elevation: 0, distance: 1}\n")
    with pytest.raises(SceneError, match=re.escape(f"scene.yaml:2: {message}")):
        load_scene(path)


@pytest.mark.parametrize(("normalize", "expected"), [
    ("none", None), ("{peak: -1}", ("peak", -1.0, None, None)),
    ("{loudness: -23}", ("loudness", -23.0, None, None)),
    ("{loudness: ebu_r128}", ("loudness", -23.0, -1.0, "ebu_r128"))])
def test_normalisation_is_read_into_the_output_settings(tmp_path, normalize, expected):
    from spatial_asmr.scene.load import load_scene

    sf.write(tmp_path / "a.wav", np.zeros(100), 48000)
    path = tmp_path / "scene.yaml"
    path.write_text(f"output:\n  normalize: {normalize}\nsources:\n  - file: a.wav\n"
                    "    position: {azimuth: 0, elevation: 0, distance: 1}\n")
    assert load_scene(path).output.normalize == expected


def test_listener_orientation_keyframes_are_read_and_checked(tmp_path):
    from spatial_asmr.scene import Orientation, load_scene

    sf.write(tmp_path / "a.wav", np.zeros(100), 48000)
    path = tmp_path / "scene.yaml"
    body = ("listener:\n  orientation:\n    - {time: 0, yaw: 10}\n"
            "    - {time: 1, yaw: 90, pitch: 5, roll: -3}\n"
            "sources:\n  - file: a.wav\n    position: {azimuth: 0, elevation: 0, distance: 1}\n")
    path.write_text(body)
    assert load_scene(path).listener == (Orientation(0.0, 10.0), Orientation(1.0, 90.0, 5.0, -3.0))
    path.write_text(body.replace("time: 1,", "time: 0,").replace("pitch: 5", "pitch: 95"))
    with pytest.raises(SceneError) as info:
        load_scene(path)
    text = str(info.value)
    assert "scene.yaml:4: listener.orientation[1].time is 0 but must be greater than" in text
    assert "scene.yaml:4: listener.orientation[1].pitch is 95 but must be <= 90" in text


def _source_scene(tmp_path, trajectory):
    from spatial_asmr.scene.load import load_scene

    sf.write(tmp_path / "a.wav", np.zeros(100), 48000)
    path = tmp_path / "scene.yaml"
    path.write_text("sources:\n  - file: a.wav\n    trajectory:\n"
                    + textwrap.indent(textwrap.dedent(trajectory).strip() + "\n", "      "))
    return load_scene(path)


def test_trajectory_mappings_build_path_objects(tmp_path):
    from spatial_asmr.motion.paths import Hover, Orbit, Sequence

    scene = _source_scene(tmp_path, """
        sequence:
          - orbit: {distance: 0.3, period: 4, start_azimuth: 90}
            duration: 2
          - hover: {base: {azimuth: 90, elevation: 0, distance: 0.3}, radius: 0.01}
            duration: 1
        """)
    path = scene.sources[0].motion
    assert isinstance(path, Sequence) and scene.sources[0].trajectory is None
    assert isinstance(path._segments[0][0], Orbit)
    assert isinstance(path._segments[1][0], Hover)
    np.testing.assert_allclose(path.positions([0.0])[0], [0.0, 0.3, 0.0], atol=1e-12)


@pytest.mark.parametrize(("trajectory", "line", "message"), [
    ("orbit: {distance: -0.3, period: 8}", 4,
     "sources[0].trajectory.orbit.distance is -0.3 but must be > 0"),
    ("spin: {distance: 0.3}", 4,
     "sources[0].trajectory.spin is not a path type; allowed: fixed, keyframes, orbit"),
    ("orbit: {distance: 0.3}", 4,
     "sources[0].trajectory.orbit.period is None and angular_speed is None"),
    ("""
     keyframes:
       points:
         - {time: 0, azimuth: 0, elevation: 0, distance: 1}
         - {time: 0, azimuth: 90, elevation: 0, distance: 1}
     """, 7, "sources[0].trajectory.keyframes.points[1].time is 0.0 but must be >"),
    ("""
     sweep:
       start: {azimuth: 0, elevation: 0, distance: 1}
       end: {x: 1, y: 0, z: 0}
       duration: 2
     """, 6, "sources[0].trajectory.sweep.end has keys x, y, z but must be a point"),
])
def test_bad_trajectory_mappings_are_reported_with_line_and_field(tmp_path, trajectory,
                                                                  line, message):
    with pytest.raises(SceneError, match=re.escape(f"scene.yaml:{line}: {message}")):
        _source_scene(tmp_path, trajectory)


def _billion_laughs():
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(9):
        name, prev = chr(98 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    return "\n".join(lines) + "\nsources: *j\n"


def test_aliases_that_expand_without_bound_are_refused_quickly_with_file_and_line():
    import time

    from spatial_asmr.scene.load import MAX_VALUES, parse_scene

    started = time.perf_counter()
    with pytest.raises(SceneError, match=rf"bomb.yaml:\d+: the scene expands to more than "
                                         rf"{MAX_VALUES} values \(through YAML aliases"):
        parse_scene(_billion_laughs(), "bomb.yaml", ".")
    assert time.perf_counter() - started < 30  # ten billion values are never built


@pytest.mark.parametrize("depth", [65, 5000])
def test_nesting_past_the_limit_is_refused_with_the_file_name(depth):
    from spatial_asmr.scene.load import MAX_DEPTH, parse_scene

    text = "sources: []\nx: " + "[" * depth + "]" * depth + "\n"
    with pytest.raises(SceneError, match=rf"deep.yaml(:2)?: .*must nest at most {MAX_DEPTH}"):
        parse_scene(text, "deep.yaml", ".")


def test_the_cli_reports_an_alias_bomb_without_a_traceback(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "bomb.yaml"
    path.write_text(_billion_laughs())
    result = subprocess.run([sys.executable, "-m", "spatial_asmr", "validate", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "expands to more than" in result.stderr and "Traceback" not in result.stderr


def test_a_scene_whose_sources_all_loop_needs_a_duration_and_says_where(tmp_path):
    import soundfile

    from spatial_asmr.scene.load import parse_scene

    soundfile.write(tmp_path / "a.wav", [0.1] * 480, 48000)
    text = ("sources:\n"
            "  - {file: a.wav, loop: true, position: {azimuth: 0, elevation: 0, distance: 1}}\n"
            "  - {file: a.wav, loop: true, position: {azimuth: 9, elevation: 0, distance: 1}}\n")
    with pytest.raises(SceneError, match=r"loops.yaml:\d+: sources all loop \(loop: true\) "
                                         r"and the scene has no duration, but a scene must end"):
        parse_scene(text, "loops.yaml", tmp_path)
    parse_scene("duration: 1\n" + text, "loops.yaml", tmp_path)  # with one, it is fine
