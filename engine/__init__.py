"""Descent's training engine: PyTorch only, knows nothing of the web."""
