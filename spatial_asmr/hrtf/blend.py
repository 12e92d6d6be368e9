"""How many filter rows a query blends per ear (light: the estimate needs it too).

A position is rendered as a weighted sum of measured responses: the three
vertices of the triangle of the HRTF grid around its direction, in each of
the two distance layers around its distance.
"""

__all__ = ["LAYERS", "VERTICES", "BLEND"]

LAYERS = 2
"""int : Distance layers blended (the nearer and the farther one)."""
VERTICES = 3
"""int : Vertices of the triangle around a direction."""
BLEND = LAYERS * VERTICES
"""int : Filter rows blended per ear and position."""
