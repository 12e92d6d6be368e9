"""Pictures of scenes and HRTF grids (matplotlib, no screen needed)."""

__all__ = ["plot_scene", "plot_grid"]

import numpy as np


def _figure(width, height):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt, plt.figure(figsize=(width, height), dpi=100)


def _head(ax, radius, plane):
    import matplotlib.patches as patches

    ax.add_patch(patches.Circle((0, 0), radius, fill=False, lw=1.5, color="0.3"))
    if plane == "top":  # nose at +x, ears at +-y: drawn with x up, y left
        ax.plot([0, 0], [radius, radius * 1.25], color="0.3", lw=1.5)
        ax.text(-radius * 1.3, 0, "L", ha="center", va="center", color="0.3")
        ax.text(radius * 1.3, 0, "R", ha="center", va="center", color="0.3")
    else:
        ax.plot([radius, radius * 1.25], [0, 0], color="0.3", lw=1.5)


def plot_scene(scene, path, seconds=None, rate=50.0):
    """Top and side views of every source's path around the head.

    Parameters
    ----------
    scene : Scene
    path : str or pathlib.Path
        PNG (or any format matplotlib writes) to create.
    seconds : float, optional
        Time span drawn; default the scene's duration, else 30 s.
    rate : float
        Points per second.

    Notes
    -----
    Positions are in the listener's head frame (head turns included); the
    colour of each path runs from light (start) to dark (end).
    """
    from .motion.listener import head_frame

    span = seconds if seconds is not None else (scene.duration or 30.0)
    times = np.arange(0.0, span, 1.0 / rate)
    plt, fig = _figure(11, 5.5)
    top = fig.add_subplot(1, 2, 1)
    side = fig.add_subplot(1, 2, 2)
    cmaps = ["Blues", "Oranges", "Greens", "Reds", "Purples", "Greys", "YlOrBr", "PuRd"]
    extent = 0.2
    for k, spec in enumerate(scene.sources):
        xyz = head_frame(spec.motion.positions(times), scene.listener, times)
        extent = max(extent, float(np.abs(xyz).max()) * 1.1)
        colour = np.linspace(0.35, 1.0, len(times))
        cmap = cmaps[k % len(cmaps)]
        # top view: forward (x) up, left (y) to the left
        top.scatter(-xyz[:, 1], xyz[:, 0], c=colour, cmap=cmap, s=4, vmin=0, vmax=1)
        side.scatter(xyz[:, 0], xyz[:, 2], c=colour, cmap=cmap, s=4, vmin=0, vmax=1)
        top.annotate(spec.name, (-xyz[0, 1], xyz[0, 0]), fontsize=8)
    radius = scene.render.head_radius
    _head(top, radius, "top")
    _head(side, radius, "side")
    views = ((top, "top view (nose up)", ("y (m), the listener's left on the left", "x (m)")),
             (side, "side view (facing right)", ("x (m)", "z (m)")))
    for ax, title, labels in views:
        ax.set_xlim(-extent, extent)
        ax.set_ylim(-extent, extent)
        ax.set_aspect("equal")
        ax.set_title(title)
        ax.set_xlabel(labels[0])
        ax.set_ylabel(labels[1])
        ax.grid(alpha=0.3)
    top.set_xticks(top.get_xticks())
    top.set_xticklabels([f"{-t:g}" for t in top.get_xticks()])
    fig.suptitle(f"{scene.path.name if scene.path else 'scene'}: source paths over "
                 f"{span:g} s (light = start, dark = end)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_grid(positions, path, title=""):
    """Measurement directions of an HRTF set on an azimuth/elevation map.

    Parameters
    ----------
    positions : ndarray, shape (M, 3)
        Azimuth, elevation (degrees), distance (metres).
    path : str or pathlib.Path
    """
    plt, fig = _figure(9, 4.8)
    ax = fig.add_subplot(1, 1, 1)
    az = (positions[:, 0] + 180.0) % 360.0 - 180.0
    scatter = ax.scatter(az, positions[:, 1], c=positions[:, 2], s=8, cmap="viridis")
    if np.ptp(positions[:, 2]) > 0:
        fig.colorbar(scatter, ax=ax, label="distance (m)")
    ax.set_xlim(180, -180)  # left ear (+90) on the left
    ax.set_ylim(-90, 90)
    ax.set_xlabel("azimuth (degrees, 90 = left)")
    ax.set_ylabel("elevation (degrees)")
    ax.set_title(title or f"{len(positions)} measurements")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
