"""Descent's web layer: FastAPI routes, the worker pool, the store and the event fan-out."""
