"""The pool shuts down even when a worker died holding the shared event queue's write lock (killed mid-send by
shutdown's SIGKILL or by the OOM killer): a put from the server would wait for that lock forever."""

from __future__ import annotations

import threading

from app.executor.pool import WorkerPool


def test_shutdown_returns_while_a_dead_worker_holds_the_event_queue_lock(tmp_path):
    pool = WorkerPool(1, lambda batch: None, data_dir=str(tmp_path), on_released=lambda run_ids: None)
    pool.start()
    assert pool.wait_ready(120)
    assert pool.outbox._wlock.acquire(timeout=5)  # as a worker killed mid-write leaves it: never released
    done = threading.Event()
    threading.Thread(target=lambda: (pool.shutdown(), done.set()), daemon=True).start()
    assert done.wait(60), "shutdown waited for the lock a dead worker holds"


def test_a_shutdown_while_the_workers_start_ends_no_thread_with_an_error(tmp_path, monkeypatch):
    """A server stopped during its start: the reader's wake-up may come after the queue is closed."""
    errors = []
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args.exc_value))
    for _ in range(3):
        pool = WorkerPool(1, lambda batch: None, data_dir=str(tmp_path), on_released=lambda run_ids: None)
        pool.start()
        pool.shutdown()
    for thread in threading.enumerate():
        if thread.name == "pool-wake-reader":
            thread.join(5)
    assert errors == []
