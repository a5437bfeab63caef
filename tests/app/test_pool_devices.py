"""The pool's device handling: workers report their device, the web process never touches CUDA, and a worker
whose CUDA context is poisoned (a device-side assert) fails its run, ends, and is replaced."""

from __future__ import annotations

import threading

import pytest
import torch
from conftest import run_config, wait_for

from app.executor import TrainJob
from app.executor import pool as pool_module
from app.executor.worker import POISONED, worker_main

POISON = "CUDA error: device-side assert triggered\nCompile with `TORCH_USE_CUDA_DSA` to enable device-side assertions."


def poisoned_worker(*args) -> None:
    """worker_main, with a trainer that fails as a GPU's device-side assert does for a run named "poison", and whose
    error shows only after the run, when the worker returns its cached memory, for a run named "late"."""
    import engine.devices
    import engine.trainer

    real, late = engine.trainer.train, []

    def train(config, *rest, **kwargs):
        if config.name == "poison":
            raise RuntimeError(POISON)
        late.append(config.name == "late")
        return real(config, *rest, **kwargs)

    def release():
        if late and late[-1]:
            raise RuntimeError(POISON)

    engine.trainer.train, engine.devices.release = train, release
    worker_main(*args)


def test_healthz_reports_the_workers_devices_without_touching_cuda(client, monkeypatch):
    def touched(*args, **kwargs):
        raise AssertionError("the web process touched CUDA")

    for name in ("is_available", "get_device_name", "device_count", "init", "get_device_properties"):
        monkeypatch.setattr(torch.cuda, name, touched)
    health = client.get("/healthz").json()
    assert health["device"] == "cpu" and health["gpu"] is None
    assert health["devices"] == [{"worker": i, "device": "cpu", "name": None} for i in (0, 1)]


def test_a_poisoned_worker_fails_its_run_ends_and_is_replaced(monkeypatch, tmp_path):
    monkeypatch.setattr(pool_module, "worker_main", poisoned_worker)
    seen: list = []  # events and releases, in the order the pool reported them
    lock = threading.Lock()

    def on_events(batch):
        with lock:
            seen.extend(batch)

    def on_released(run_ids):
        with lock:
            seen.extend((rid, "released", {}) for rid in run_ids)

    def reported(run_id: str) -> list[tuple[str, dict]]:
        with lock:
            return [(kind, data) for rid, kind, data in seen if rid == run_id]

    def replaced(process) -> None:
        wait_for(lambda: pool.workers[0].process is not process and pool.wait_ready(0.1), timeout=120)
        assert process.exitcode == POISONED

    pool = pool_module.WorkerPool(1, on_events, data_dir=str(tmp_path), on_released=on_released)
    pool.start()
    try:
        assert pool.wait_ready(120)
        first = pool.workers[0].process
        pool.submit(TrainJob(run_id="aaaaaaaaaaaa", config=run_config(name="poison", train={"steps": 5})))
        replaced(first)
        wait_for(lambda: ("released", {}) in reported("aaaaaaaaaaaa"), timeout=30)
        # the run fails with the CUDA error, once, and is released after its events (the pool adds no failure)
        assert reported("aaaaaaaaaaaa") == [("status", {"status": "failed", "message": f"RuntimeError: {POISON}"}),
                                            ("done", {"status": "failed", "summary": {}}), ("released", {})]

        pool.submit(TrainJob(run_id="bbbbbbbbbbbb", config=run_config(train={"steps": 5})))
        wait_for(lambda: ("released", {}) in reported("bbbbbbbbbbbb"), timeout=120)
        assert [d["status"] for kind, d in reported("bbbbbbbbbbbb") if kind == "done"] == ["completed"]

        second = pool.workers[0].process
        pool.submit(TrainJob(run_id="cccccccccccc", config=run_config(name="late", train={"steps": 5})))
        replaced(second)
        wait_for(lambda: ("released", {}) in reported("cccccccccccc"), timeout=30)
        ended = [(kind, data.get("status")) for kind, data in reported("cccccccccccc") if kind in ("done", "released")]
        assert ended == [("done", "completed"), ("released", None)]  # it had ended well: the exit fails nothing
    finally:
        pool.shutdown()


@pytest.mark.parametrize(("message", "poisoning"), [
    (POISON, True),
    ("CUDA error: an illegal memory access was encountered", True),
    ("CUDA out of memory. Tried to allocate 2.00 GiB", False),  # the allocator recovers: the worker lives on
    ("mat1 and mat2 shapes cannot be multiplied (4x3 and 2x5)", False),
])
def test_only_errors_that_poison_the_context_end_a_worker(message, poisoning):
    from engine.devices import is_poisoning

    assert is_poisoning(RuntimeError(message)) is poisoning
