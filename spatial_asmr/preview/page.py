"""Writing the preview page: one HTML file, its audio inlined or beside it."""

__all__ = ["write_preview", "PreviewReport", "INLINE_LIMIT"]

import base64
import html
import json
import os
import re
import shutil
import tempfile
import urllib.parse
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import AudioFileError, OutputError

INLINE_LIMIT = 48 * 2**20
"""int : Most bytes of audio put inside the page (as base64); more is
referenced beside it (a long track)."""

_TYPES = {".wav": "audio/wav", ".flac": "audio/flac", ".ogg": "audio/ogg",
          ".opus": "audio/ogg", ".mp3": "audio/mpeg", ".m4a": "audio/mp4"}


@dataclass(frozen=True)
class PreviewReport:
    """What :func:`write_preview` wrote.

    Attributes
    ----------
    path : pathlib.Path
        The page.
    tracks : tuple of pathlib.Path
        The audio it plays: the mix, or one stem per source.
    inlined : bool
        Whether that audio is inside the page (else referenced beside it).
    rendered : tuple of pathlib.Path
        Files rendered for it and kept (a mix too long to inline, stems).
    """

    path: Path
    tracks: tuple
    inlined: bool
    rendered: tuple = ()


def _audio_file(path, what):
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise AudioFileError(f"{what} {str(path)!r} does not exist"
                             if not path.exists() else f"{what} {str(path)!r} is not a file")
    if path.suffix.lower() not in _TYPES:
        raise AudioFileError(f"{what} {str(path)!r} has suffix {path.suffix!r} but must be one "
                             f"of {', '.join(_TYPES)} (a format browsers play)")
    try:
        info = sf.info(str(path))
    except (RuntimeError, sf.LibsndfileError) as exc:
        if path.suffix.lower() in (".wav", ".flac", ".ogg"):
            raise AudioFileError(f"{what} {str(path)!r} is not a readable audio file: "
                                 f"{exc}") from None
        return path, None  # a format libsndfile does not read; the browser may
    if info.frames == 0:
        raise AudioFileError(f"{what} {str(path)!r} holds no samples")
    return path, info.frames / info.samplerate


def _source(path, page_folder, inline):
    if inline:
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"data:{_TYPES[path.suffix.lower()]};base64,{data}"
    try:
        relative = os.path.relpath(path.resolve(), page_folder.resolve())
    except ValueError:  # another drive
        return path.resolve().as_uri()
    return urllib.parse.quote(Path(relative).as_posix())


def _stem_files(scene, stems):
    from ..renderer.stems import stem_names

    folder = Path(stems)
    missing = [name for name in stem_names(scene) if not (folder / name).is_file()]
    if missing:
        raise AudioFileError(f"stems folder {str(folder)!r} lacks {', '.join(missing)}: render "
                             "the stems with 'spatial-asmr render SCENE -o MIX --stems DIR', or "
                             "leave out --audio to render them here")
    return [_audio_file(folder / name, "stem") for name in stem_names(scene)]


def write_preview(scene, path, *, audio=None, stems=None, inline_limit=INLINE_LIMIT,
                  progress=None):
    """Write the preview page of a scene.

    One self-contained HTML file (script and style inline, nothing fetched)
    that plays the scene's audio and shows, in step with it, top and side
    views of the head with every source moving along its path (with a
    fading trail and the head's turns), a timeline of when each source
    sounds with a scrubber, and, with stems, mute and solo per source.

    Parameters
    ----------
    scene : Scene
    path : str or pathlib.Path
        The page to write (``.html``), atomically.
    audio : str or pathlib.Path, optional
        The rendered mix to play.  Default: the scene is rendered.
    stems : str or pathlib.Path, optional
        A folder of stems (``NAME.wav`` per source, as ``render --stems``
        writes): the page plays them, in step, with mute and solo.  Without
        ``audio`` they are rendered into it.
    inline_limit : int, optional
        Most bytes of audio put inside the page; more is referenced beside
        it by a relative path (keep the files with the page).
    progress : callable, optional
        ``progress(done, total)`` while rendering, as :func:`render_to_file`.

    Returns
    -------
    PreviewReport

    Raises
    ------
    AudioFileError
        ``audio`` or a stem is missing or unreadable, ``stems`` lacks a
        source's stem.
    OutputError
        ``path`` does not end in ``.html`` or cannot be written.
    SceneError
        As :func:`render_to_file`, when rendering.
    """
    from .data import preview_data

    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise OutputError(f"preview page {str(path)!r} has suffix {path.suffix!r} but must be "
                          "'.html'")
    page_folder = path.parent if str(path.parent) else Path(".")
    if not page_folder.is_dir():
        raise OutputError(f"cannot write {path}: its folder {str(page_folder)!r} does not exist")
    rendered, scratch = [], None
    try:
        if audio is None:
            from ..renderer.pipeline import render_to_file

            scratch = Path(tempfile.mkdtemp(prefix=f".{path.stem}.", dir=page_folder))
            suffix = ".wav" if scene.output.bit_depth == "float" else ".flac"
            mix = scratch / f"{path.stem}{suffix}"
            render_to_file(scene, mix, progress=progress, stems=stems)
            mix = _audio_file(mix, "audio file")
        else:
            mix = _audio_file(audio, "audio file")
        # (path, seconds or None) of what the page plays
        found = _stem_files(scene, stems) if stems is not None else [mix]
        tracks = [track for track, _ in found]
        if audio is None and stems is not None:
            rendered += tracks
        inline = sum(t.stat().st_size for t in tracks) <= inline_limit
        if not inline and audio is None and stems is None:  # kept beside the page
            kept = page_folder / tracks[0].name
            os.replace(tracks[0], kept)
            tracks, rendered = [kept], [kept]
        known = [seconds for _, seconds in found if seconds is not None]
        data = preview_data(scene, duration=max(known) if known else None)
        names = [s["name"] for s in data["sources"]]
        listing = {"mode": "stems" if stems is not None else "mix", "tracks": [
            {"name": names[i] if stems is not None else "mix",
             "label": track.name, "src": _source(track, page_folder, inline)}
            for i, track in enumerate(tracks)]}
        template = resources.files(__package__).joinpath("page.html").read_text("utf-8")
        # one pass: a name holding a placeholder's text must not be filled in again
        parts = {"TITLE": html.escape(data["title"]), "DATA": _script_json(data),
                 "AUDIO": _script_json(listing)}
        text = re.sub(r"__(TITLE|DATA|AUDIO)__", lambda m: parts[m[1]], template)
        from ..output.files import atomic_text

        with atomic_text(path) as fh:
            fh.write(text)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return PreviewReport(path, tuple(tracks), inline, tuple(rendered))


def _script_json(value):
    """JSON safe inside a <script> element."""
    return (json.dumps(value, separators=(",", ":"), allow_nan=False)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))
