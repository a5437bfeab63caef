"""ExportError, apart from the exporters: the web process catches it without importing torch (the exporters run
in the planner process, app/planner.py)."""


class ExportError(ValueError):
    """The run is valid, but the standalone script cannot reproduce it (the message says which part)."""
