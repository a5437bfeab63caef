"""torch (and numpy), loaded on first use.

The web process imports every component file for its settings model and registry entry, and must not pay torch's
~220 MB and ~1 s for that: only workers (and the planner process) build networks and step optimizers. A component
file therefore takes `torch` from here and touches it only inside functions; the first attribute read runs the
real module's code, after which it is torch itself (a plain module again), at no cost per use.

A plain `import torch` anywhere loads it at once: the trainer and the other worker-side modules do just that.

Why not importlib's LazyLoader: before Python 3.12.3 it is not thread-safe (CPython gh-114763). The first reader
turns the module back into a plain one *before* running its code, so a second thread reading meanwhile sees a
half-run module: "module 'numpy' has no attribute 'argmin'" from a request while the run manager's thread was
loading numpy (a 500 CI caught). Here the first reader runs the code under the module's own lock; any other
thread waits for it, and the loading thread's own reads (the module's code importing itself) go through.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from dataclasses import dataclass, field
from types import ModuleType


@dataclass
class _Load:
    lock: threading.RLock = field(default_factory=threading.RLock)
    running: bool = False  # the holder of the lock is running the module's code


class _Unloaded(ModuleType):
    """A module whose code has not run yet: the first attribute read, from any thread, runs it."""

    def __getattribute__(self, attr: str):
        spec = ModuleType.__getattribute__(self, "__spec__")
        load: _Load = spec.loader_state
        with load.lock:
            if type(self) is _Unloaded and not load.running:
                load.running = True
                try:
                    spec.loader.exec_module(self)
                    self.__class__ = ModuleType
                finally:
                    load.running = False  # a failed load is tried again by the next reader, as a failed import is
        return ModuleType.__getattribute__(self, attr)


def lazy(name: str) -> ModuleType:
    """A module, loaded on first attribute use (the web process names Optuna, SQLAlchemy and app.store this way
    too: app/backend.py loads them in its own thread, after the server first answers)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.loader is not None, f"{name} is not installed"
    module = importlib.util.module_from_spec(spec)  # the module object, its code not run
    spec.loader_state = _Load()
    module.__class__ = _Unloaded
    sys.modules[name] = module
    return module


torch = lazy("torch")
# numpy too: a tenth of the web process's start (0.06 s), and no page needs it before a run's data is read
numpy = lazy("numpy")


def loaded() -> bool:
    """Whether torch has really been loaded in this process (named lazily is not loaded)."""
    return "torch._C" in sys.modules
