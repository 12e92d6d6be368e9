"""Batch rendering: many scenes into one folder, resumable, on worker processes or a Dask
cluster, with sidecars.
"""

from .runner import BatchSummary, collect_scenes, output_key, parse_shard, render_many

__all__ = ["BatchSummary", "collect_scenes", "output_key", "parse_shard", "render_many"]
