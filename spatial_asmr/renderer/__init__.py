"""Rendering: the plan and engine loop of a scene, the streaming pipeline to a file, and
cost estimates.
"""
