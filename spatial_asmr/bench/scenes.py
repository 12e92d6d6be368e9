"""The files and scenes the benchmark's cases render, made once per run in a folder."""

__all__ = ["Workspace"]

import numpy as np

RATE = 48000
_NOISE_SECONDS = 30.0
_LOOP_SECONDS = 4.0  # each source loops its own 4 s of the noise file


class Workspace:
    """A folder with the noise file, cut HRTF sets and scene files of a run.

    Parameters
    ----------
    folder : pathlib.Path
        An existing, empty folder (a temporary one).
    """

    def __init__(self, folder):
        import soundfile as sf

        self.folder = folder
        self.noise = folder / "noise.wav"
        rng = np.random.default_rng(20261201)
        sf.write(self.noise, (0.05 * rng.standard_normal(int(_NOISE_SECONDS * RATE)))
                 .astype(np.float32), RATE, subtype="FLOAT")
        self._sets = {}
        self._scenes = {}

    def hrtf(self, taps):
        """The HRTF a case renders with: ``'kemar'``, or KEMAR cut to ``taps``."""
        if taps is None:
            return "kemar"
        if taps not in self._sets:
            from ..hrtf.sets import load_hrtf
            from ..hrtf.sofa import write_sofa

            kemar = load_hrtf("kemar", RATE)
            ir = np.array(kemar.raw[..., :taps], dtype=np.float64)
            fade = max(1, taps // 8)
            ir[..., -fade:] *= 0.5 + 0.5 * np.cos(np.pi * (np.arange(fade) + 1) / fade)
            path = self.folder / f"kemar-{taps}.sofa"
            write_sofa(path, ir, kemar.positions, RATE, delays=kemar.raw_delays,
                       title=f"MIT KEMAR cut to {taps} taps (half-Hann fade)")
            self._sets[taps] = path
        return str(self._sets[taps])

    @staticmethod
    def spread(k):
        """Azimuth, elevation, distance and orbit period of source ``k``."""
        azimuth = (137.5 * k) % 360.0        # golden-angle spread
        elevation = -30.0 + (53.0 * k) % 90.0
        distance = 0.5 + (0.37 * k) % 1.5
        period = 2.0 + (1.3 * k) % 7.0
        return azimuth, elevation, distance, period

    @staticmethod
    def _loop_start(k):
        """Where source ``k``'s stretch of the noise file begins, s."""
        return (k * 0.7) % (_NOISE_SECONDS - _LOOP_SECONDS)

    def scene(self, case):
        """The scene (loaded and validated) of a render case."""
        from ..scene.load import load_scene

        key = (case.sources, case.moving, case.block, case.taps, case.near_field,
               case.interpolation, case.engine, case.seconds)
        if key in self._scenes:
            return self._scenes[key]
        lines = [f"duration: {case.seconds:g}", f"hrtf: {self.hrtf(case.taps)}",
                 f"render: {{block_size: {case.block}, near_field: "
                 f"{str(case.near_field).lower()}, interpolation: {case.interpolation}, "
                 f"engine: {case.engine or 'exact'}}}", "sources:"]
        for k in range(case.sources):
            az, el, dist, period = self.spread(k)
            start = self._loop_start(k)
            lines.append(f"  - name: s{k}")
            lines.append(f"    file: {self.noise.name}")
            lines.append(f"    trim: [{start:.3f}, {start + _LOOP_SECONDS:.3f}]")
            lines.append("    loop: true")
            if case.moving:
                lines.append(f"    trajectory: {{orbit: {{distance: {dist:.3f}, period: "
                             f"{period:.3f}, elevation: {el:.3f}, start_azimuth: {az:.3f}}}}}")
            else:
                lines.append(f"    position: {{azimuth: {az:.3f}, elevation: {el:.3f}, "
                             f"distance: {dist:.3f}}}")
        path = self.folder / f"scene-{len(self._scenes)}.yaml"
        path.write_text("\n".join(lines) + "\n")
        scene = load_scene(path)
        self._scenes[key] = scene
        return scene

    def signals(self, case):
        """The sources' signals of a case, (sources, samples) float32 (for baselines)."""
        import soundfile as sf

        noise = sf.read(self.noise, dtype="float32")[0]
        n = int(round(case.seconds * RATE))
        out = np.empty((case.sources, n), dtype=np.float32)
        loop = int(_LOOP_SECONDS * RATE)
        for k in range(case.sources):
            start = int(round(self._loop_start(k) * RATE))
            piece = noise[start:start + loop]
            out[k] = np.resize(piece, n)
        return out
