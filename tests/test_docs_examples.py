"""Every fenced block in README.md and docs/*.md is run, or marked as not runnable.

The blocks are taken from the Markdown as it is, so a new example is tested as soon as
it is written, and one that the test cannot run fails until it is marked.

Conventions
-----------
A block's *marker* is an HTML comment on the last non-blank line before its fence
(``<!-- KEY -->`` or ``<!-- KEY: VALUE -->``); any other comment there is an error.
The fence's language and the marker decide what happens:

``yaml`` (no marker)
    A whole scene (a mapping with ``sources``).  It is saved as ``scene.yaml`` in the
    example folder (below), read with :func:`spatial_asmr.load_scene` and an excerpt is
    rendered with the real engine: the scene's own duration, capped to 1 s or, if a
    source starts later, to half a second after the last start.  The audio must have
    sound in both ears (and, as in every test, no warning).
``yaml`` + ``<!-- fragment: source -->``
    Keys of one source (``trajectory:``, ``position:``, ...).  Indented into a minimal
    scene (``duration: 1``, one source named ``fragment``, the ``tapping`` generator
    unless the fragment names a ``file`` or ``generator``), then as a whole scene.
``yaml`` + ``<!-- invalid scene -->``
    A scene that must be refused: ``load_scene`` raises ``SceneError``.
``python`` (no marker)
    Executed (``exec``) in the example folder.
``python`` + ``<!-- file: NAME -->``
    A script the page asks the user to save as NAME; it must compile, and the test in
    ``FILE_TESTS`` runs it with small arguments.
``sh`` (no marker)
    One command per line (``\\`` continues a line, ``#`` starts a comment); every
    command must be ``spatial-asmr ...``.  They run in the example folder, in order,
    through the entry point's function ``spatial_asmr.cli.main`` in one Python process
    per block (one start-up per block, not per command), and each must exit 0.
``text`` (no marker)
    Output or a listing: not run.
``text`` + ``<!-- output of: COMMAND -->``
    COMMAND (``spatial-asmr ...``) is run as ``python -m spatial_asmr ...`` in an
    example folder holding the page's previous ``yaml`` block as ``scene.yaml``; its
    output (stdout and stderr) must be the block, and it must exit 1 if that scene is
    marked invalid, else 0.
``text`` + ``<!-- synopsis -->``
    Usage lines ``spatial-asmr COMMAND ...``: every command of ``spatial-asmr --help``
    has a line, and each line names exactly the options of ``COMMAND --help`` (with
    the same choices, where the help lists choices).
any language + ``<!-- not run: REASON -->``
    Not run (installing, the CI script, a cluster that is not there); REASON is
    required.

Any other block (no language, another language, an unknown marker) fails.

The example folder is laid out like the repository: ``scenes/`` holds every shipped
scene, its duration capped to 1 s (inserted where the scene has none) so that commands
and scripts that render them stay short, and ``scenes/audio/`` the shipped audio.  A
scene's ``file:`` must name a shipped file (e.g. ``scenes/audio/whisper.flac``), unless
its line says ``# your own file``: then the test writes a real sound there first (10 s
of the ``whisper`` generator, mono, 48 kHz).

Besides the blocks, the generator guide's parameter tables must match
``spatial_asmr.generators.GENERATORS`` and its example messages must be what
``generate`` raises.
"""

import dataclasses
import functools
import os
import re
import shlex
import shutil
import subprocess
import sys
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
import soundfile
from ruamel.yaml import YAML

from spatial_asmr import SceneError, load_scene, render
from spatial_asmr.cli import main as cli_main
from spatial_asmr.generators import GENERATORS, GeneratorError, generate

ROOT = Path(__file__).parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LANGUAGES = {"yaml", "python", "sh", "text"}
MARKERS = {  # marker -> the languages it may precede (None: any)
    "not run": None, "fragment": {"yaml"}, "invalid scene": {"yaml"},
    "file": {"python"}, "output of": {"text"}, "synopsis": {"text"},
}
FRAGMENT_KINDS = {"source"}
# `<!-- file: NAME -->` scripts and the tests that run them
FILE_TESTS = {
    "make_dataset.py":
        "tests/test_docs.py::test_the_dataset_script_in_the_batch_guide_renders_and_resumes",
}
# Documents allowed to name a user's own file without the label (none today)
UNLABELLED_OWN_FILES = {}
OWN_FILE = "# your own file"
EXCERPT = 1.0  # seconds: the longest shipped-scene and example render
FENCE = re.compile(r"^\s*(`{3,}|~{3,})(.*)$")
MARKER = re.compile(r"^<!--\s*([a-z ]+?)\s*(?::\s*(.*?))?\s*-->$")


@dataclasses.dataclass
class Block:
    doc: str  # path relative to the repository
    line: int  # line of the opening fence, 1-based
    language: str
    text: str
    marker: str | None = None  # the key of the marker comment
    value: str | None = None  # its value
    comment: str | None = None  # the comment line before the fence, if any
    previous: "Block | None" = None  # the page's previous yaml block

    @property
    def id(self):
        return f"{self.doc}:{self.line}"


def read_blocks(path):
    """The fenced blocks of a Markdown file, with their markers."""
    lines = path.read_text().splitlines()
    doc = path.relative_to(ROOT).as_posix()
    blocks, previous_yaml = [], None
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        fence, language = opening[1], opening[2].strip()
        end = next((j for j in range(i + 1, len(lines))
                    if lines[j].strip() == fence), None)
        assert end is not None, f"{doc}:{i + 1}: the fence is never closed"
        block = Block(doc, i + 1, language, "\n".join(lines[i + 1:end]) + "\n",
                      previous=previous_yaml)
        before = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()),
                      "")
        if before.startswith("<!--"):
            block.comment = before
            found = MARKER.match(before)
            if found:
                block.marker, block.value = found.groups()
        blocks.append(block)
        if language == "yaml":
            previous_yaml = block
        i = end + 1
    return blocks


BLOCKS = [b for path in DOCS for b in read_blocks(path)]


def blocks_of(predicate):
    chosen = [b for b in BLOCKS if predicate(b)]
    return pytest.mark.parametrize("block", chosen, ids=[b.id for b in chosen])


def _cap_duration(text, seconds):
    """A scene file's text with its duration at most ``seconds`` (comments kept)."""
    yaml = YAML()
    data = yaml.load(text)
    if data.get("duration") is None or data["duration"] > seconds:
        if "duration" in data:
            data["duration"] = seconds
        else:
            data.insert(0, "duration", seconds)
    out = StringIO()
    yaml.dump(data, out)
    return out.getvalue()


@functools.cache
def _short_scenes():
    return {path.name: _cap_duration(path.read_text(), EXCERPT)
            for path in (ROOT / "scenes").glob("*.yaml")}


@pytest.fixture
def folder(tmp_path):
    """An example folder laid out like the repository, with short shipped scenes."""
    scenes = tmp_path / "scenes"
    shutil.copytree(ROOT / "scenes", scenes)
    for name, text in _short_scenes().items():
        (scenes / name).write_text(text)
    return tmp_path


def _source_files(text):
    """``file:`` values of a scene's sources, with the line each is on."""
    data = YAML(typ="safe").load(text)
    lines = text.splitlines()
    found = []
    for source in data.get("sources") or []:
        if isinstance(source, dict) and "file" in source:
            name = str(source["file"])
            line = next(x for x in lines if re.search(rf"\bfile:\s*{re.escape(name)}\b", x))
            found.append((name, line))
    return found


def _provide_files(block, text, folder):
    """Check that the scene's files are shipped; write the user's own files."""
    allowed = UNLABELLED_OWN_FILES.get(block.doc, set())
    for name, line in _source_files(text):
        path = folder / name
        if OWN_FILE in line or name in allowed:
            path.parent.mkdir(parents=True, exist_ok=True)
            soundfile.write(path, generate("whisper", 10.0, 48000, seed=1), 48000)
        else:
            assert path.is_file(), (
                f"{block.id}: file {name!r} is not shipped (not under scenes/); use a "
                f"generator or a shipped file, or label the line '{OWN_FILE}'")


def _render_excerpt(path):
    scene = load_scene(path)
    last_start = max(source.start for source in scene.sources)
    seconds = max(EXCERPT, last_start + 0.5)
    if scene.duration is not None:
        seconds = min(seconds, scene.duration)
    audio, rate = render(dataclasses.replace(scene, duration=seconds))
    assert audio.shape == (round(seconds * rate), 2)
    assert np.isfinite(audio).all()
    level = 10 * np.log10(np.mean(audio.astype(float) ** 2, axis=0) + 1e-300)
    assert (level > -80).all(), f"an ear is silent: {level} dB"


def _run(command, folder):
    """Run one ``spatial-asmr ...`` command line in ``folder`` (``python -m``)."""
    words = shlex.split(command)
    return subprocess.run([sys.executable, "-m", "spatial_asmr", *words[1:]], cwd=folder,
                          capture_output=True, text=True, timeout=300, env=_environment())


# Runs each command line given as an argument through the entry point's function, in
# order, in one process; stops at the first that does not exit 0.
DRIVER = """
import shlex, sys
from spatial_asmr.cli import main
for line in sys.argv[1:]:
    print("$", line, file=sys.stderr, flush=True)
    status = main(shlex.split(line)[1:])
    if status:
        sys.exit(f"exit status {status}: {line}")
"""


def _run_all(commands, folder):
    for command in commands:
        assert shlex.split(command)[0] == "spatial-asmr", (
            f"{command!r} is not a spatial-asmr command; mark the block "
            "<!-- not run: REASON -->")
    return subprocess.run([sys.executable, "-c", DRIVER, *commands], cwd=folder,
                          capture_output=True, text=True, timeout=300, env=_environment())


def _environment():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


def _commands(text):
    joined = re.sub(r"\\\n\s*", " ", text)
    commands = []
    for line in joined.splitlines():
        words = shlex.split(line, comments=True)
        if words:
            commands.append(shlex.join(words))
    return commands


# -- every block is handled ------------------------------------------------------------

def test_the_pages_have_examples_of_every_kind():
    kinds = {(b.language, b.marker) for b in BLOCKS}
    for kind in [("yaml", None), ("yaml", "fragment"), ("yaml", "invalid scene"),
                 ("python", None), ("python", "file"), ("sh", None), ("text", "output of"),
                 ("text", "synopsis"), ("sh", "not run")]:
        assert kind in kinds, kind
    assert any(OWN_FILE in b.text for b in BLOCKS if b.language == "yaml")


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_every_block_is_runnable_or_marked(block):
    assert block.language in LANGUAGES or block.marker == "not run", (
        f"{block.id}: a ```{block.language or '(no language)'} block cannot be run; "
        f"use one of {sorted(LANGUAGES)} or mark it <!-- not run: REASON -->")
    if block.comment is not None:
        assert block.marker in MARKERS, f"{block.id}: unknown marker {block.comment}"
    if block.language == "yaml" and block.marker is None:
        data = YAML(typ="safe").load(block.text)
        assert isinstance(data, dict) and "sources" in data, (
            f"{block.id}: a yaml block that is not a whole scene needs "
            "<!-- fragment: source --> (or <!-- not run: REASON -->)")
    if block.marker is None:
        return
    assert MARKERS[block.marker] is None or block.language in MARKERS[block.marker], (
        f"{block.id}: <!-- {block.marker} --> cannot mark a ```{block.language} block")
    if block.marker in ("not run", "file", "output of"):
        assert block.value, f"{block.id}: <!-- {block.marker}: ... --> needs a value"
    if block.marker == "fragment":
        assert block.value in FRAGMENT_KINDS, f"{block.id}: fragment kind {block.value!r}"
    if block.marker == "file":
        assert block.value in FILE_TESTS, (
            f"{block.id}: no test runs {block.value}; add one to FILE_TESTS")
        compile(block.text, block.id, "exec")


def test_files_run_elsewhere_and_unlabelled_own_files_are_still_there():
    files = {b.value for b in BLOCKS if b.marker == "file"}
    assert files == set(FILE_TESTS)
    for doc, names in UNLABELLED_OWN_FILES.items():
        texts = [b.text for b in BLOCKS if b.doc == doc and b.language == "yaml"]
        for name in names:
            assert any(n == name and OWN_FILE not in line
                       for text in texts for n, line in _source_files(text)), (
                f"{doc} no longer names {name} unlabelled: remove it from "
                "UNLABELLED_OWN_FILES")


# -- scenes ------------------------------------------------------------------------------

@blocks_of(lambda b: b.language == "yaml" and b.marker is None)
def test_scene_loads_and_renders_an_excerpt(block, folder):
    _provide_files(block, block.text, folder)
    path = folder / "scene.yaml"
    path.write_text(block.text)
    _render_excerpt(path)


def _fragment_scene(fragment):
    body = YAML(typ="safe").load(fragment)
    assert isinstance(body, dict), "a source fragment is a mapping of source keys"
    sound = "" if {"file", "generator"} & set(body) else "    generator: {type: tapping}\n"
    indented = "".join(f"    {line}\n" if line.strip() else "\n"
                       for line in fragment.splitlines())
    return f"duration: {EXCERPT}\nsources:\n  - name: fragment\n{sound}{indented}"


@blocks_of(lambda b: b.marker == "fragment")
def test_source_fragment_loads_and_renders_in_a_minimal_scene(block, folder):
    text = _fragment_scene(block.text)
    _provide_files(block, text, folder)
    path = folder / "scene.yaml"
    path.write_text(text)
    _render_excerpt(path)


@blocks_of(lambda b: b.marker == "invalid scene")
def test_invalid_scene_is_refused(block, folder):
    path = folder / "scene.yaml"
    path.write_text(block.text)
    with pytest.raises(SceneError):
        load_scene(path)


# -- code --------------------------------------------------------------------------------

@blocks_of(lambda b: b.language == "python" and b.marker is None)
def test_python_example_runs(block, folder, monkeypatch):
    monkeypatch.chdir(folder)
    with redirect_stdout(StringIO()):
        exec(compile(block.text, block.id, "exec"), {"__name__": "__main__"})


@blocks_of(lambda b: b.language == "sh" and b.marker is None)
def test_shell_example_commands_exit_0(block, folder):
    commands = _commands(block.text)
    assert commands, f"{block.id}: no command"
    result = _run_all(commands, folder)
    assert result.returncode == 0, result.stdout + result.stderr


@blocks_of(lambda b: b.marker == "output of")
def test_output_listing_is_what_the_command_prints(block, folder):
    assert block.previous is not None, f"{block.id}: no yaml block before it"
    (folder / "scene.yaml").write_text(block.previous.text)
    result = _run(block.value, folder)
    assert (result.stdout + result.stderr).strip() == block.text.strip()
    assert result.returncode == (1 if block.previous.marker == "invalid scene" else 0)


# -- the command line synopsis -----------------------------------------------------------

def _help(*command):
    out = StringIO()
    with redirect_stdout(out), pytest.raises(SystemExit) as stop:
        cli_main([*command, "--help"])
    assert stop.value.code == 0
    return out.getvalue()


def _help_options(text):
    """The options of a --help text: {aliases (frozenset): choices (set, maybe empty)}."""
    options = {}
    section = text.split("options:\n", 1)[1]
    for line in section.splitlines():
        if not line.startswith("  -"):
            continue
        head = re.split(r"\s{2,}", line.strip())[0]
        aliases = frozenset(re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", head))
        if "--help" in aliases:
            continue
        choices = re.search(r"\{([^}]*)\}", head)
        options[aliases] = set(choices[1].split(",")) if choices else set()
    return options


def _help_commands(text):
    return re.findall(r"^    (\w+)", text, re.M)


@blocks_of(lambda b: b.marker == "synopsis")
def test_synopsis_names_every_command_and_exactly_its_options(block):
    documented = {}  # command ("" for none) -> {flag: choices}
    for line in re.sub(r"\n\s+(?=\[)", " ", block.text).splitlines():
        words = re.split(r"(?:^|\s)#", line)[0].split()
        if not words:  # a comment going on from the line before
            continue
        assert words[0] == "spatial-asmr", f"{block.id}: {line}"
        command = "" if words[1].startswith("-") else words[1]
        flags = documented.setdefault(command, {})
        for found in re.finditer(r"(?<![\w-])(--?[a-z][\w-]*)(?: (\{[^}]*\}|[a-z][\w|]*))?",
                                 " ".join(words)):
            flag, argument = found.groups()
            choices = set(re.split(r"[{},|]", argument)) - {""} if argument else set()
            flags.setdefault(flag, set()).update(choices)
    commands = _help_commands(_help())
    assert set(documented) == {"", *commands}, "commands"
    for command in documented:
        actual = _help_options(_help(*filter(None, [command])))
        flags = documented[command]
        for flag in flags:
            assert any(flag in aliases for aliases in actual), f"{command} {flag} is no option"
        for aliases, choices in actual.items():
            named = [flag for flag in flags if flag in aliases]
            assert named, f"{command}: {sorted(aliases)} is not in the synopsis"
            if choices:
                assert set().union(*(flags[f] for f in named)) == choices, (command, aliases)


# -- the generator guide's tables and messages -------------------------------------------

GENERATOR_GUIDE = ROOT / "docs" / "generators.md"


def _parameter_table(name):
    """``{parameter: (unit, default, range)}`` of a generator's section in the guide."""
    section = GENERATOR_GUIDE.read_text().split(f"\n### {name}\n")[1]
    section = re.split(r"\n##", section)[0]
    rows = re.findall(r"^\| `(\w+)` \| ([^|]*) \| ([^|]*) \| ([^|]*) \| [^|]* \|$", section,
                      re.M)
    return {row[0]: tuple(cell.strip() for cell in row[1:]) for row in rows}


@pytest.mark.parametrize("name", list(GENERATORS))
def test_generator_guide_table_matches_the_registry(name):
    table = _parameter_table(name)
    params = GENERATORS[name].params
    assert set(table) == set(params)
    for key, (unit, default, allowed) in table.items():
        param = params[key]
        assert unit == (param.unit or "-"), key
        if isinstance(param.default, str):
            assert default == f"`{param.default!r}`", key
            assert [a.strip("`'") for a in allowed.split(", ")] == list(param.allowed), key
        else:
            assert float(default) == param.default, key
            assert tuple(float(v) for v in allowed.split("-")) == param.allowed, key


# the calls that make the guide's example messages, line by line
MESSAGE_CALLS = [
    ("tapping", 1.0, {"tap_rate": 0.1}),
    ("tapping", 1.0, {"surface": "metal"}),
    ("whisper", 1.0, {"speed": 2}),
    ("rain", 1.0, {}),
    ("tapping", -1.0, {}),
]


def test_generator_guide_messages_are_what_generate_raises():
    listing = next(b for b in BLOCKS if b.doc == "docs/generators.md"
                   and b.language == "text" and "but must be" in b.text)
    lines = listing.text.strip().splitlines()
    assert len(lines) == len(MESSAGE_CALLS)
    for line, (name, duration, params) in zip(lines, MESSAGE_CALLS, strict=True):
        with pytest.raises(GeneratorError) as raised:
            generate(name, duration, 48000, **params)
        assert str(raised.value) == line
