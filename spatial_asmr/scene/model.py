"""The scene model: frozen dataclasses of plain values that a loaded scene is made of."""

__all__ = ["BUNDLED_HRTFS", "Keyframe", "Orientation", "RenderSettings", "Normalize",
           "OutputSettings", "SourceSpec", "Scene"]

import functools
import pathlib
from dataclasses import dataclass, field
from typing import NamedTuple

from ..errors import ArgumentError
from ..hrtf.bundled import NAMES
from ..motion.paths import Fixed, Keyframes, SourcePath

BUNDLED_HRTFS = NAMES
"""tuple of str : Names of the HRTF sets shipped with spatial-asmr."""


@dataclass(frozen=True)
class Keyframe:
    """Position of a moving source at one point in time.

    Attributes
    ----------
    time : float
        Time in seconds from the start of the scene, >= 0.
    azimuth : float
        Horizontal angle in degrees; not wrapped, so 0 -> 360 is a full turn.
    elevation : float
        Vertical angle in degrees, in [-90, 90].
    distance : float
        Distance from the centre of the head in metres, in (0, 100].
    """

    time: float
    azimuth: float
    elevation: float
    distance: float


@dataclass(frozen=True)
class Orientation:
    """Head orientation of the listener at one point in time.

    Attributes
    ----------
    time : float
        Seconds from the start, >= 0.
    yaw : float
        Degrees, counter-clockwise seen from above (nose to the left).
    pitch : float
        Degrees, nose up, in [-90, 90].
    roll : float
        Degrees, positive raises the left ear, in [-180, 180].
    """

    time: float
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0


@dataclass(frozen=True)
class RenderSettings:
    """How the sources of a scene are rendered.

    Attributes
    ----------
    interpolation : {'barycentric', 'nearest'}
        How HRTFs between measured directions are obtained.
    block_size : int
        Samples per processing block, a power of two from 16 to 8192.
    distance_gain : bool
        Whether sources get quieter with distance: by ``reference_distance /
        distance`` (a source's own reference distance where it has one).
    reference_distance : float
        Metres, in (0, 100]: the distance at which a source plays at its
        file's level (straight ahead, the HRTF set's level normalised by
        ``hrtf_level``).
    hrtf_level : {'frontal', 'measured'}
        ``'frontal'``: every HRTF set is scaled once so that its frontal
        response has unit broadband gain (:attr:`HrtfSet.frontal_gain`), so
        that a scene's level does not depend on the set; ``'measured'``: the
        responses as the file has them.
    near_field : bool
        Distance variation function and acoustic parallax closer than the
        HRTF's measurement distance.
    head_radius : float
        Spherical head radius in metres, 0.05 to 0.15.
    doppler : bool
        Propagation delay (and so Doppler shift) on the delay lines.
    engine : {'auto', 'exact', 'basis'}
        The time-varying convolution engine: ``'exact'`` blends and
        crossfades the HRTFs themselves, ``'basis'`` mixes the sources into
        ``basis_size`` principal-component filters per ear (cost nearly
        independent of the number of moving sources), ``'auto'`` takes the
        basis engine from :data:`~spatial_asmr.renderer.engines.BASIS_FROM`
        moving sources sounding at once on.
    basis_size : int or 'auto'
        Basis filters per ear of the basis engine (the mean included), 2 to
        256; ``'auto'``: the fewest that meet
        :data:`~spatial_asmr.hrtf.basis.RESIDUAL_BUDGET`.
    """

    interpolation: str = "barycentric"
    block_size: int = 128
    distance_gain: bool = True
    reference_distance: float = 1.0
    hrtf_level: str = "frontal"
    near_field: bool = True
    head_radius: float = 0.0875
    doppler: bool = False
    engine: str = "auto"
    basis_size: int | str = "auto"


class Normalize(NamedTuple):
    """What ``output.normalize`` brings the mix to before limiting.

    Attributes
    ----------
    kind : {'peak', 'loudness'}
        ``'peak'``: the true peak (dBTP) is brought to ``target``;
        ``'loudness'``: the integrated loudness (LUFS, BS.1770) is.
    target : float
        dBTP or LUFS.
    ceiling : float or None
        True-peak ceiling in dBTP the mix is limited to, float output too
        (a platform preset's); None: only integer output is limited, to -1 dBTP.
    preset : str or None
        The platform preset the target came from (``youtube``, ...), if any
        (:mod:`spatial_asmr.output.targets`).
    """

    kind: str
    target: float
    ceiling: float | None = None
    preset: str | None = None


@dataclass(frozen=True)
class OutputSettings:
    """Format of the rendered file.

    Attributes
    ----------
    bit_depth : {16, 24, 'float'}
        16 or 24 bit integer samples, or ``'float'`` for 32 bit float.
    normalize : Normalize or None
        None (the mix as rendered), or what to normalise it to.
    """

    bit_depth: int | str = 24
    normalize: Normalize | None = None

    def __post_init__(self):
        if self.normalize is not None and not isinstance(self.normalize, Normalize):
            object.__setattr__(self, "normalize", Normalize(*self.normalize))
        kind, target = self.normalize[:2] if self.normalize is not None else (None, None)
        if kind == "loudness" and isinstance(target, str):
            # a platform preset by name, as the scene file spells it
            from ..output.targets import preset

            lufs, ceiling = preset(target)
            object.__setattr__(self, "normalize", Normalize(kind, lufs, ceiling, target))


@dataclass(frozen=True)
class SourceSpec:
    """One sound source of a scene.

    Its motion is one path object, :attr:`motion`, whatever form the scene
    gave it in: a ``position`` is a :class:`~spatial_asmr.motion.paths.Fixed`
    point, a list of keyframes a linear spherical
    :class:`~spatial_asmr.motion.paths.Keyframes`, a trajectory mapping the
    path it names.  ``position=`` and ``trajectory=`` (keyframes) are
    accepted as shorthands that build it, and :attr:`position` and
    :attr:`trajectory` read such a motion back.

    Attributes
    ----------
    name : str
        Unique name; ``'source<index>'`` (0-based) if the file gave none.
    file : pathlib.Path or None
        Absolute, resolved path of the audio file (None for a generator).
    gain_db : float
        Gain in dB, in [-120, 40].
    motion : spatial_asmr.motion.paths.SourcePath
        Where the source is at any time: ``motion.positions(times)``.
    generator : tuple or None
        ``(name, seed, duration or None, params)`` of a procedural sound,
        instead of ``file``.
    channel : int or None
        Channel of a multichannel file.
    start : float
        Seconds from the scene start at which the sound begins.
    trim : tuple of float or None
        ``(from, to)`` seconds of the file to play.
    loop : bool
        Repeat until the scene ends.
    fade_in, fade_out : float
        Raised-cosine fades in seconds.
    reference_distance : float or None
        Metres: where this source plays at its file's level; None: the
        scene's ``render.reference_distance``.
    path_spec : dict or None
        The trajectory mapping `motion` was built from, as the scene gave it
        (kept so that a resolved scene can be written back out); None for a
        position or a list of keyframes.
    position : tuple of float, shape (3,), or None
        ``(azimuth, elevation, distance)`` in degrees, degrees and metres
        of a static source (a spherical Fixed motion); as an argument, the
        shorthand for ``motion=Fixed(position)``.
    trajectory : tuple of Keyframe or None
        Keyframes with strictly increasing times, linear in between (a
        linear spherical Keyframes motion); as an argument, the shorthand
        for ``motion=Keyframes(times, points)``.
    """

    name: str
    file: pathlib.Path | None
    gain_db: float = 0.0
    motion: SourcePath | None = None
    generator: tuple | None = None
    channel: int | None = None
    start: float = 0.0
    trim: tuple | None = None
    loop: bool = False
    fade_in: float = 0.0
    fade_out: float = 0.0
    reference_distance: float | None = None
    path_spec: dict | None = field(default=None, compare=False, hash=False)

    @property
    def position(self):
        """tuple of float or None : ``(azimuth, elevation, distance)`` of a
        spherical Fixed motion."""
        motion = self.motion
        if isinstance(motion, Fixed) and motion.coordinates == "spherical":
            return motion.point
        return None

    @property
    def trajectory(self):
        """tuple of Keyframe or None : The keyframes of a linear spherical
        Keyframes motion (two or more)."""
        motion = self.motion
        if (isinstance(motion, Keyframes) and motion.interpolation == "linear"
                and motion.coordinates == "spherical" and len(motion.times) > 1):
            return tuple(Keyframe(time, *point)
                         for time, point in zip(motion.times, motion.points, strict=True))
        return None


def _motion_shorthands(init):
    """``SourceSpec.__init__`` that also takes ``position=`` or ``trajectory=``
    (keyframes) and builds the motion from it."""

    @functools.wraps(init)
    def __init__(self, *args, position=None, trajectory=None, **kwargs):
        if position is not None or trajectory is not None:
            if (position is not None and trajectory is not None
                    or kwargs.get("motion") is not None or len(args) > 3):
                raise ArgumentError("a SourceSpec has one motion but was given more than one "
                                    "of motion, position and trajectory")
            if position is not None:
                kwargs["motion"] = Fixed(position)
            else:
                keyframes = tuple(trajectory)
                kwargs["motion"] = Keyframes(
                    [key.time for key in keyframes],
                    [(key.azimuth, key.elevation, key.distance) for key in keyframes])
        init(self, *args, **kwargs)

    return __init__


SourceSpec.__init__ = _motion_shorthands(SourceSpec.__init__)


@dataclass(frozen=True)
class Scene:
    """A validated scene.

    Attributes
    ----------
    sources : tuple of SourceSpec
        The sources, in file order; at least one.
    sample_rate : int
        Output sample rate in Hz, in [8000, 384000].
    duration : float or None
        Output length in seconds; None renders until the last source ends.
    hrtf : str
        A name from :data:`BUNDLED_HRTFS`, or the absolute path of a .sofa
        file.
    render : RenderSettings
        How the sources are rendered.
    output : OutputSettings
        Format of the rendered file.
    listener : tuple of Orientation
        Head orientation keyframes (empty: facing forward throughout).
    path : pathlib.Path or None
        Absolute path of the scene file; None if the scene was parsed from
        text with :func:`parse_scene`.
    """

    sources: tuple
    sample_rate: int = 48000
    duration: float | None = None
    hrtf: str = "kemar"
    render: RenderSettings = RenderSettings()
    output: OutputSettings = OutputSettings()
    path: pathlib.Path | None = None
    listener: tuple = ()
