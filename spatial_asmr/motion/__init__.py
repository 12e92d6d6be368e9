"""Motion: coordinates, source paths over time, and the listener's head orientation."""
