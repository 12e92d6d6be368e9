"""Source signals on the scene's time line: files and generators, trimmed, looped, faded,
in bounded chunks.
"""

from .stream import SourceStream, fade, read_mono, source_signal

__all__ = ["SourceStream", "fade", "read_mono", "source_signal"]
