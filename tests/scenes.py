"""Scene files the tests write, and the raw mix they render to."""

from spatial_asmr import load_scene, render


def write_scene(folder, body, name="scene.yaml"):
    """Write a scene file ``name`` in ``folder`` and load it."""
    path = folder / name
    path.write_text(body)
    return load_scene(path)


def raw_mix(scene, dtype):
    """The renderer's mix before mastering (what the renderer tests check)."""
    return render(scene, dtype, master=False)
