"""What the preview page shows, sampled from the scene's own motion model.

:func:`preview_data` makes one JSON-ready mapping: every source's world
positions at a fixed rate (the page interpolates them linearly at the
playback time), its active interval on the time line, the listener's
orientation keyframes (linear between them, as the renderer turns the head)
and the head radius.  The page draws world positions with the head turning
in them, or, with "follow the head", the positions the renderer hears
(:func:`~spatial_asmr.motion.listener.head_frame`).
"""

__all__ = ["preview_data", "POSITION_RATE", "MAX_POINTS"]

import numpy as np

POSITION_RATE = 30.0
"""float : Position samples per second (less for long scenes, see :data:`MAX_POINTS`)."""
MAX_POINTS = 300_000
"""int : Most position samples of all sources together, so that the page
stays a few megabytes for an hour-long scene (its rate drops to fit)."""

COLOURS = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6",
           "#9a6324", "#469990", "#808000", "#000075", "#a9a9a9")
"""tuple of str : Source colours, in source order (repeating)."""


def _intervals(scene):
    """Each source's ``[start, end)`` seconds on the time line, and the scene's length."""
    from ..renderer.plan import RenderPlan

    sr = int(scene.sample_rate)
    sources = RenderPlan._signals(scene, sr, np.float32)
    spans = [(src.stream.start / sr, src.stream.length / sr) for src in sources]
    length = scene.duration if scene.duration is not None else max(end for _, end in spans)
    return [(min(a, length), min(b, length)) for a, b in spans], float(length)


def preview_data(scene, duration=None):
    """The page's data for a scene.

    Parameters
    ----------
    scene : Scene
    duration : float, optional
        Seconds to sample (the audio's length); default the scene's
        (its ``duration``, else the end of its last source).

    Returns
    -------
    dict
        ``duration``, ``rate`` (position samples per second), ``head_radius``
        (m), ``extent`` (m, the largest distance reached), ``listener``
        (keyframes ``[time, yaw, pitch, roll]``) and ``sources``: per source
        ``name``, ``colour``, ``interval`` ``[start, end]`` (s) and ``xyz``
        (world positions, metres, x forward, y left, z up, flattened, the
        k-th at ``k / rate`` seconds, rounded to 0.1 mm).
    """
    intervals, length = _intervals(scene)
    span = float(duration) if duration is not None else length
    n_sources = len(scene.sources)
    rate = min(POSITION_RATE, MAX_POINTS / max(n_sources * max(span, 1e-3), 1.0))
    count = int(np.floor(span * rate)) + 2  # one past the end: the page interpolates
    times = np.arange(count) / rate
    sources, extent = [], 0.0
    for k, (spec, interval) in enumerate(zip(scene.sources, intervals, strict=True)):
        xyz = np.asarray(spec.motion.positions(times), dtype=float)
        extent = max(extent, float(np.linalg.norm(xyz, axis=1).max()))
        sources.append({"name": spec.name, "colour": COLOURS[k % len(COLOURS)],
                        "interval": [round(interval[0], 4), round(interval[1], 4)],
                        "xyz": [round(v, 4) for v in xyz.ravel().tolist()]})
    return {
        "title": scene.path.name if scene.path is not None else "scene",
        "duration": round(span, 6),
        "rate": rate,
        "head_radius": float(scene.render.head_radius),
        "extent": extent,
        "listener": [[k.time, k.yaw, k.pitch, k.roll] for k in scene.listener],
        "sources": sources,
    }
