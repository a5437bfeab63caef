"""One job, trained where it was sent: the function a local worker process and a Ray actor both run."""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Callable
from typing import Any

from engine.control import Control

log = logging.getLogger(__name__)
Emit = Callable[[str, str, dict[str, Any]], None]  # (run_id, kind, payload), in the order the job emits them


def configure(data_dir: str) -> None:
    """Once per process, before its first job: where uploaded data sets are found."""
    from engine.datasets import uploads

    uploads.configure(os.path.join(data_dir, "uploads"))


def run(run_ids: list[str], payload: dict[str, Any], emit: Emit, control: Control, data_dir: str) -> bool:
    """Train the job (train, race or landscape); an error in it ends its runs as failed with the message. True
    when the process can take the next job; False when it must end: a sticky CUDA error left its context
    unusable (every later CUDA call would fail too)."""
    from engine import checkpoint, devices
    from engine.config import RunConfig
    from engine.events import wire
    from engine.lab import landscape
    from engine.trainer import Member, train, train_members

    checkpoint_root = os.path.join(data_dir, "checkpoints")
    writer = checkpoint.Writer(checkpoint_root)

    def send(run_id: str, event: Any) -> None:
        kind, payload = wire(event)
        if kind == "done":
            writer.wait()  # a run is done once its checkpoints are on disk: a continue may read them at once
        emit(run_id, kind, payload)

    emits = [lambda event, rid=rid: send(rid, event) for rid in run_ids]
    saves = [lambda step, state, rid=rid: writer.save(rid, step, state) for rid in run_ids]
    try:
        if payload["kind"] == "race":
            configs = [RunConfig.model_validate(c) for c in payload["configs"]]
            train_members([Member(*member) for member in zip(configs, emits, saves, strict=True)], control)
        elif payload["kind"] == "landscape":
            landscape.run_job(payload, emits[0], control, checkpoint_root)
        else:
            config = RunConfig.model_validate(payload["config"])
            start = None
            if config.start_from is not None:
                start = checkpoint.read(checkpoint_root, config.start_from.run, config.start_from.step)
            train(config, emits[0], control, save=saves[0], start=start)
    except Exception as exc:
        log.warning("job %s failed:\n%s", run_ids, traceback.format_exc())
        message = f"{type(exc).__name__}: {exc}"[:2000]
        for rid in run_ids:
            emit(rid, "status", {"status": "failed", "message": message})
            emit(rid, "done", {"status": "failed", "summary": {}})
        if devices.is_poisoning(exc):
            return False
    finally:
        writer.close()
    try:
        devices.release()  # the cached blocks go back, for the next job or another process on this GPU
    except RuntimeError as exc:  # a sticky error may first show at the first CUDA call after its run ended
        if devices.is_poisoning(exc):
            return False
        raise
    return True


def wants_gpu(payload: dict[str, Any]) -> bool:
    """Whether a job would train on a GPU if its machine had one (train.device cuda or auto)."""
    configs = payload.get("configs") or [payload["config"]]
    return any((c.get("train") or {}).get("device", "auto") in ("cuda", "auto") for c in configs)
