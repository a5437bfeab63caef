"""The pool's device handling: workers report their device, the web process never touches CUDA, and a worker
whose CUDA context is poisoned (a device-side assert) fails its run, ends, and is replaced."""

from __future__ import annotations

import threading

import pytest
import torch
from conftest import run_config, wait_for

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


def test_a_poisoned_worker_fails_its_run_once_ends_and_is_replaced(monkeypatch, tmp_path):
    monkeypatch.setattr(pool_module, "worker_main", poisoned_worker)
    events: list = []
    lock = threading.Lock()

    def on_events(batch):
        with lock:
            events.extend(batch)

    pool = pool_module.WorkerPool(1, on_events, data_dir=str(tmp_path))
    pool.start()
    try:
        assert pool.wait_ready(120)
        first = pool.workers[0].process
        pool.submit("aaaaaaaaaaaa", run_config(name="poison", train={"steps": 5}))
        wait_for(lambda: pool.workers[0].process is not first and pool.wait_ready(0.1), timeout=120)
        assert first.exitcode == POISONED
        failures = [(kind, data) for rid, kind, data in events if rid == "aaaaaaaaaaaa"]
        assert failures == [("status", {"status": "failed", "message": f"RuntimeError: {POISON}"}),
                            ("done", {"status": "failed", "summary": {}})]  # once: the pool adds no second failure
        pool.submit("bbbbbbbbbbbb", run_config(train={"steps": 5}))
        done = wait_for(lambda: next((d for rid, kind, d in list(events) if rid == "bbbbbbbbbbbb" and kind == "done"),
                                     None), timeout=120)
        assert done["status"] == "completed"  # the fresh worker trains the next run

        second = pool.workers[0].process
        pool.submit("cccccccccccc", run_config(name="late", train={"steps": 5}))
        wait_for(lambda: pool.workers[0].process is not second and pool.wait_ready(0.1), timeout=120)
        assert second.exitcode == POISONED
        ended = [(kind, data["status"]) for rid, kind, data in events if rid == "cccccccccccc" and kind == "done"]
        assert ended == [("done", "completed")]  # the run had ended well: the worker's exit does not fail it
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
