"""Checkpoints: everything needed to continue a run exactly (weights, optimizer, schedule, batch order, RNG),
as plain tensors and numbers so that torch.load(weights_only=True) can read them back."""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path
from typing import Any

from engine.lazy import torch


def _to_host(value: Any) -> Any:
    """A copy on the CPU of every tensor in nested dicts and lists: straight from the GPU, no copy made there."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True)
    if isinstance(value, dict):
        return {k: _to_host(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_host(v) for v in value)
    return value


def capture(step: int, model: torch.nn.Module, optimizer, scheduler, batches, tricks=None, stopper=None) -> dict:
    """The run at `step`, copied (training goes on with the live tensors) and on the CPU (the file holds no
    device tensors, and a run continues on any device)."""
    state = {
        "step": step,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": {k: v for k, v in scheduler.state_dict().items() if k != "lr_lambdas"},
        "batches": {"generator": batches.generator.get_state(), "order": batches.order, "pos": batches.pos},
        "rng": torch.get_rng_state(),
    }
    if batches.device.type == "cuda":  # dropout on a GPU draws from the GPU's generator
        state["cuda_rng"] = torch.cuda.get_rng_state(batches.device)
    if tricks is not None:
        state["tricks"] = tricks.state_dict()
    if stopper is not None:
        state["stopper"] = stopper.state_dict()
    return _to_host(state)


def restore(state: dict, model: torch.nn.Module, optimizer, scheduler, batches, tricks=None, stopper=None) -> int:
    """Put a run back where the checkpoint left it; returns the step to continue after. (A checkpoint from before
    the tricks' and the GPU's generators were saved continues with those freshly seeded.)"""
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict({**scheduler.state_dict(), **state["scheduler"]})
    batches.generator.set_state(state["batches"]["generator"])
    batches.order = state["batches"]["order"].to(batches.device)
    batches.pos = state["batches"]["pos"]
    torch.set_rng_state(state["rng"])
    if "cuda_rng" in state and batches.device.type == "cuda":
        torch.cuda.set_rng_state(state["cuda_rng"], batches.device)
    if tricks is not None and "tricks" in state:
        tricks.load_state_dict(state["tricks"])
    if stopper is not None and "stopper" in state:
        stopper.load_state_dict(state["stopper"])
    return int(state["step"])


def transfer(state: dict, model: torch.nn.Module, freeze: list[str]) -> dict[str, list[str]]:
    """Fine-tuning: copy every weight whose name and shape match, then freeze the named prefixes."""
    own = model.state_dict()
    loaded = {k: v for k, v in state["model"].items() if k in own and own[k].shape == v.shape}
    model.load_state_dict(loaded, strict=False)
    frozen = []
    for name, parameter in model.named_parameters():
        if any(name.startswith(prefix) for prefix in freeze):
            parameter.requires_grad_(False)
            frozen.append(name)
    return {"loaded": sorted(loaded), "skipped": sorted(set(own) - set(loaded)), "frozen": frozen}


# on disk: <root>/<run id>/step-<step>.pt; run ids are server-made hex, steps are ints, so no user string
# ever becomes part of a path
def path_for(root: str | Path, run_id: str, step: int) -> Path:
    if not (len(run_id) == 12 and all(c in "0123456789abcdef" for c in run_id)):
        raise ValueError(f"not a run id: {run_id!r}")
    return Path(root) / run_id / f"step-{int(step):010d}.pt"


def steps_on_disk(root: str | Path, run_id: str) -> list[int]:
    folder = path_for(root, run_id, 0).parent
    if not folder.is_dir():
        return []
    return sorted(int(p.stem.removeprefix("step-")) for p in folder.glob("step-*.pt"))


def write(root: str | Path, run_id: str, step: int, state: dict, keep: int = 5) -> None:
    """Atomic save (write then rename), keeping the newest `keep` checkpoints of the run."""
    target = path_for(root, run_id, step)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    torch.save(state, partial)
    os.replace(partial, target)
    for old in steps_on_disk(root, run_id)[:-keep]:
        path_for(root, run_id, old).unlink(missing_ok=True)


class Writer:
    """Checkpoints written by a thread of their own: the training thread only hands over the captured state
    (already a copy on the CPU), and file writes (torch.save, the rename, the pruning) happen beside it. `wait`
    returns once every checkpoint handed over is on disk, and raises the first error a write met."""

    def __init__(self, root: str | Path, keep: int = 5):
        self.root, self.keep = root, keep
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._write, daemon=True, name="checkpoints")
        self.thread.start()

    def save(self, run_id: str, step: int, state: dict) -> None:
        self.queue.put((run_id, step, state))

    def wait(self) -> None:
        written = threading.Event()
        self.queue.put(written)
        written.wait()
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()

    def _write(self) -> None:
        while (item := self.queue.get()) is not None:
            if isinstance(item, threading.Event):
                item.set()
            elif self.error is None:  # after a failed write the rest wait for the run to end with the error
                try:
                    write(self.root, *item, keep=self.keep)
                except BaseException as exc:  # noqa: BLE001 (handed to the training thread by wait())
                    self.error = exc


def read(root: str | Path, run_id: str, step: int) -> dict:
    return torch.load(path_for(root, run_id, step), weights_only=True, map_location="cpu")
