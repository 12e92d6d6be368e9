"""The docs stay true: the generated scene reference, and the batch guide's script."""

import json
import re
import subprocess
import sys
from pathlib import Path

from spatial_asmr.scene.reference import markdown_reference
from spatial_asmr.scene.schema import SCENE_SCHEMA

DOC = Path(__file__).parent.parent / "docs" / "scene-format.md"


def test_scene_format_reference_is_current():
    # regenerate with: python -m spatial_asmr.scene.reference > docs/scene-format.md
    assert DOC.read_text() == markdown_reference()


def test_reference_documents_every_source_and_render_key():
    text = DOC.read_text()
    for key in SCENE_SCHEMA["$defs"]["source"]["properties"]:
        assert f"| `{key}` |" in text
    for key in SCENE_SCHEMA["properties"]["render"]["properties"]:
        assert f"| `render.{key}` |" in text


def test_the_dataset_script_in_the_batch_guide_renders_and_resumes(tmp_path):
    text = (DOC.parent / "batch.md").read_text()
    script = re.search(r"<!-- file: make_dataset.py -->\n```python\n(.*?)```", text, re.S)[1]
    (tmp_path / "make_dataset.py").write_text(script)
    command = [sys.executable, "make_dataset.py", "--count", "3", "--seconds", "2",
               "--out-dir", "dataset"]
    first = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("3 rendered, 0 up to date, 0 failed")
    names = sorted(p.stem for p in (tmp_path / "dataset").glob("*.wav"))
    assert names == ["scene00000", "scene00001", "scene00002"]
    sidecar = json.loads((tmp_path / "dataset" / "scene00001.json").read_text())
    assert sidecar["scene"]["duration"] == 2.0
    again = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert again.stdout.startswith("0 rendered, 3 up to date, 0 failed")
