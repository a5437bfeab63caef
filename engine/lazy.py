"""torch (and numpy), loaded on first use.

The web process imports every component file for its settings model and registry entry, and must not pay torch's
~220 MB and ~1 s for that: only workers (and the planner process) build networks and step optimizers. A component
file therefore takes `torch` from here and touches it only inside functions; the first attribute read loads the
real module (importlib's LazyLoader), after which it is torch itself, at no cost per use.

A plain `import torch` anywhere loads it at once: the trainer and the other worker-side modules do just that.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy(name: str) -> ModuleType:
    """A module, loaded on first attribute use (the web process names Optuna, SQLAlchemy and app.store this way
    too: app/backend.py loads them in its own thread, after the server first answers)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.loader is not None, f"{name} is not installed"
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


torch = lazy("torch")
# numpy too: a tenth of the web process's start (0.06 s), and no page needs it before a run's data is read
numpy = lazy("numpy")


def loaded() -> bool:
    """Whether torch has really been loaded in this process (named lazily is not loaded)."""
    return "torch._C" in sys.modules
