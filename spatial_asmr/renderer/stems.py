"""Stems: one binaural file per source, at the mix's normalisation gain.

Each stem is the scene rendered with one source sounding
(:class:`~spatial_asmr.renderer.plan.RenderPlan` with ``solo``): the same
filter table, engine and length as the mix, so the stems add up to the mix
as rendered.  They get the mix's normalisation gain and no limiter, and are
written as 32-bit float WAV, so that they still add up to the mix before its
limiter (to float rounding); where the limiter engaged on the mix, the mix is
that sum with its peaks brought down, and the render report says so.
"""

__all__ = ["write_stems", "stem_names"]

import re

import numpy as np


def stem_names(scene):
    """File names of the stems, ``NAME.wav`` per source (made safe and unique)."""
    names, taken = [], set()
    for index, spec in enumerate(scene.sources):
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", spec.name).strip("._") or f"source{index}"
        name, k = base, 2
        while name.lower() in taken:
            name, k = f"{base}-{k}", k + 1
        taken.add(name.lower())
        names.append(f"{name}.wav")
    return names


def write_stems(scene, folder, gain_db=0.0, *, dtype=np.float32, threads=None):
    """Write one stem per source into ``folder``.

    Parameters
    ----------
    scene : Scene
    folder : str or pathlib.Path
        An existing folder, or one to make.
    gain_db : float
        The mix's normalisation gain (:attr:`RenderReport.gain_db`).
    dtype, threads
        As for :func:`~spatial_asmr.render_to_file`.

    Returns
    -------
    list of pathlib.Path
        The stems, in the scene's source order.
    """
    from pathlib import Path

    from ..output.files import writing
    from ..output.writing import write_audio
    from .plan import RenderPlan

    folder = Path(folder)
    with writing(folder / "stem.wav"):
        folder.mkdir(parents=True, exist_ok=True)
    gain = 10.0 ** (float(gain_db) / 20.0)
    paths = []
    for index, name in enumerate(stem_names(scene)):
        plan = RenderPlan(scene, dtype, threads=threads, solo=index)
        chunks = (np.asarray(c, dtype=np.float64) * gain for c in plan.chunks())
        written = write_audio(folder / name, chunks, plan.sample_rate, "float",
                              frames=plan.n_samples)
        paths.append(written.path)
    return paths
