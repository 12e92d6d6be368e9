"""The scene-format reference is generated from the schema and kept current."""

from pathlib import Path

from spatial_asmr.scene_reference import markdown_reference
from spatial_asmr.scene_schema import SCENE_SCHEMA

DOC = Path(__file__).parent.parent / "docs" / "scene-format.md"


def test_scene_format_reference_is_current():
    # regenerate with: python -m spatial_asmr.scene_reference > docs/scene-format.md
    assert DOC.read_text() == markdown_reference()


def test_reference_documents_every_source_and_render_key():
    text = DOC.read_text()
    for key in SCENE_SCHEMA["$defs"]["source"]["properties"]:
        assert f"| `{key}` |" in text
    for key in SCENE_SCHEMA["properties"]["render"]["properties"]:
        assert f"| `render.{key}` |" in text
