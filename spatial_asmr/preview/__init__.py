"""The preview page: a scene's audio with its sources moving around the head.

:func:`write_preview` writes one self-contained HTML file (``spatial-asmr
preview``); :func:`preview_data` is what it shows, sampled from the scene.
"""

__all__ = ["write_preview", "preview_data", "PreviewReport", "INLINE_LIMIT"]

from .data import preview_data
from .page import INLINE_LIMIT, PreviewReport, write_preview
