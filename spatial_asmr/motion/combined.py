"""Paths made of other paths: ``Sequence`` (one after another) and ``Offset`` (later)."""

__all__ = ['Sequence', 'Offset']


import numpy as np

from .base import SourcePath, _error, _non_negative, _path, _positive, _said


class Sequence(SourcePath):
    """Paths played one after another.

    Parameters
    ----------
    segments : sequence
        Each item a path, played for its own ``duration``, or a ``(path,
        seconds)`` pair, played for ``seconds`` (> 0).  A path without a
        duration of its own (Orbit, Fixed, repeated Sweep) must be given as
        a pair.  At least one segment.

    Notes
    -----
    Each segment runs on its own clock from 0: segment i covers times
    ``[T_i, T_i + d_i)`` with ``T_i`` the sum of the earlier durations, and
    shows its path at ``t - T_i``.  Nothing joins the segments: the source
    jumps between them unless each segment starts where the previous one
    ended.  Before time 0 the sequence holds the first segment's start; from
    the total duration on, the last segment's position at its end.
    """

    def __init__(self, segments):
        if isinstance(segments, (str, bytes, SourcePath)) or not hasattr(segments, "__iter__"):
            raise _error("segments", segments, "a list of paths or (path, seconds) pairs")
        items = list(segments)
        if not items:
            raise _error("segments", items, "a list with at least one segment")
        self._segments = []
        for i, item in enumerate(items):
            if isinstance(item, SourcePath):
                path, seconds = item, item.duration
                if seconds is None:
                    raise _said(("segments", i, "duration"),
                                f"is None ({type(item).__name__} has no end) but must be a "
                                f"number: give the segment as (path, seconds)")
                _positive(("segments", i, "duration"), seconds)
            elif (isinstance(item, (tuple, list)) and len(item) == 2
                  and isinstance(item[0], SourcePath)):
                path, seconds = item[0], _positive(("segments", i, 1), item[1])
            else:
                raise _error(("segments", i), item, "a path or a (path, seconds) pair")
            self._segments.append((path, float(seconds)))
        lengths = np.array([seconds for _, seconds in self._segments])
        self._starts = np.concatenate([[0.0], np.cumsum(lengths)[:-1]])
        self._duration = float(lengths.sum())
        self._max_distance = max(path.max_distance for path, _ in self._segments)
        self._params = {"segments": self._segments}

    @property
    def starts(self):
        """ndarray, shape (n_segments,) : Start time of each segment, seconds."""
        return self._starts.copy()

    def _evaluate(self, t):
        which = np.clip(np.searchsorted(self._starts, t, side="right") - 1,
                         0, len(self._segments) - 1)
        out = np.empty((len(t), 3))
        for i, (path, seconds) in enumerate(self._segments):
            here = which == i
            if here.any():
                local = np.clip(t[here] - self._starts[i], 0.0, seconds)
                out[here] = path._evaluate(local)
        return out


class Offset(SourcePath):
    """A path that starts later.

    Parameters
    ----------
    path : SourcePath
        The path; its time 0 happens at ``start``.
    start : float
        Seconds, >= 0.

    Notes
    -----
    Before ``start`` the path holds its position at its own time 0.
    ``duration`` is ``start + path.duration``, None if the path has none.
    """

    def __init__(self, path, start):
        self._path = _path("path", path)
        self._start = _non_negative("start", start)
        self._duration = None if path.duration is None else self._start + path.duration
        self._max_distance = path.max_distance
        self._params = {"path": path, "start": self._start}

    def still_intervals(self):
        """The path's, later by ``start``, and the hold before it (see
        :meth:`SourcePath.still_intervals`)."""
        spans = [(t0 + self._start, t1 + self._start) for t0, t1 in self._path.still_intervals()
                 if t1 >= 0.0]
        if spans and spans[0][0] <= self._start:
            return [(-np.inf, spans[0][1])] + spans[1:]
        return [(-np.inf, self._start)] + spans

    def _evaluate(self, t):
        return self._path._evaluate(np.maximum(t - self._start, 0.0))
