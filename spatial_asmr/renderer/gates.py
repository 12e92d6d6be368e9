"""Where a source is rendered with a fixed filter, and where by the time-varying engine.

Over every span where a source and the listener are both still
(:func:`spatial_asmr.motion.listener.still_spans`), of at least
:data:`STILL_BLOCKS` blocks, the source is a fixed-filter channel taking its
signal over that span (its *gate*); the delay lines and the time-varying
blend take the rest.  At each end of a gate inside the scene the two share
the signal through complementary raised-cosine ramps of :data:`HAND_OVER`
samples, inside the still span, where both are the same response: their
sum is the source through that response, exactly.
"""

__all__ = ["still_gates", "still_weight", "still_part", "moving_part", "moving_span",
           "ALWAYS", "STILL_BLOCKS", "HAND_OVER"]

import numpy as np

ALWAYS = 1 << 62
"""int : A gate end that is never reached (a source still from the start or to the end)."""
STILL_BLOCKS = 16
"""int : Shortest span rendered with a fixed filter, in blocks."""
HAND_OVER = 1024
"""int : Samples of each ramp between the fixed filter and the time-varying engine."""


def still_gates(spans, block, sample_rate, seconds):
    """Gates ``(g0, g1, fade_in, fade_out)`` (samples) of still spans.

    Parameters
    ----------
    spans : list of (float, float)
        Still spans in seconds (``-inf``, ``inf`` at the ends).
    block : int
        The engine's block size: gates begin and end on block boundaries.
    sample_rate : int
    seconds : float
        The scene's length: spans outside it are dropped.

    Returns
    -------
    list of tuple
        ``[(-ALWAYS, ALWAYS, 0, 0)]`` for a source that is always still.
    """
    if spans == [(-np.inf, np.inf)]:
        return [(-ALWAYS, ALWAYS, 0, 0)]
    B, sr = block, sample_rate
    gates = []
    for t0, t1 in spans:
        g0 = -ALWAYS if t0 == -np.inf else int(np.ceil(t0 * sr / B)) * B
        g1 = ALWAYS if t1 == np.inf else int(np.floor(t1 * sr / B)) * B
        if g1 <= 0 or g0 >= seconds * sr:
            continue  # before the scene or after it: nothing to render
        if g1 - g0 >= STILL_BLOCKS * B:
            fade = min(HAND_OVER, (g1 - g0) // 4)
            gates.append((g0, g1, fade if g0 > -ALWAYS else 0, fade if g1 < ALWAYS else 0))
    return gates


def still_weight(start, m, gate):
    """Weight of the fixed-filter channel at samples ``start ... start + m - 1``.

    1 inside the gate, 0 outside, raised-cosine ramps of ``fade`` samples at
    its ends, inside it; the moving channels take ``1 - weight``.  Over a ramp
    the source is still, so both renderings are the same filter and their sum
    is the source's signal through it: the hand-over is exact, and the part
    the moving engine takes starts smoothly, so the response the fixed filter
    left behind and the one the moving engine goes on with do not meet in a
    step.
    """
    g0, g1, f0, f1 = gate
    t = np.arange(start, start + m)
    w = ((t >= g0) & (t < g1)).astype(np.float64)
    if f0:
        rise = (t >= g0) & (t < g0 + f0)
        w[rise] = np.sin(0.5 * np.pi * (t[rise] - g0 + 0.5) / f0) ** 2
    if f1:
        fall = (t >= g1 - f1) & (t < g1)
        w[fall] = np.cos(0.5 * np.pi * (t[fall] - (g1 - f1) + 0.5) / f1) ** 2
    return w


def _touches(start, m, g0, g1):
    return g0 < start + m and g1 > start


def still_part(x, start, gate):
    """``x`` (``x[0]`` at sample ``start``) times the fixed channel's weight."""
    g0, g1, f0, f1 = gate
    m = len(x)
    if g0 + f0 <= start and start + m <= g1 - f1:
        return  # all inside
    if not _touches(start, m, g0, g1):
        x[:] = 0
        return
    x *= still_weight(start, m, gate).astype(x.dtype)


def moving_part(x, start, gates):
    """``x`` times the moving channels' weight, ``1 -`` the fixed channels'."""
    m = len(x)
    for gate in gates:
        g0, g1, f0, f1 = gate
        if not _touches(start, m, g0, g1):
            continue
        if g0 + f0 <= start and start + m <= g1 - f1:
            x[:] = 0
            return
        x *= (1.0 - still_weight(start, m, gate)).astype(x.dtype)


def moving_span(lo, hi, gates):
    """First and end sample of ``[lo, hi)`` where the moving channels take some
    of the signal (outside the gates' full-weight parts), or an empty range."""
    for g0, g1, f0, f1 in gates:
        if g0 + f0 <= lo < g1 - f1:
            lo = g1 - f1
    for g0, g1, f0, f1 in reversed(gates):
        if g0 + f0 < hi <= g1 - f1:
            hi = g0 + f0
    return lo, hi
