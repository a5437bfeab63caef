"""A job's events leave its process in batches, in order, all of them by close()."""

from __future__ import annotations

import queue
import threading
import time
from types import SimpleNamespace

import pytest

from app.executor import outbox as outbox_module
from app.executor.outbox import Outbox
from tests.conftest import wait_for


class CountingQueue(queue.SimpleQueue):
    """Counts the pump's waits: each one wakes its thread, which takes the GIL from the training thread."""

    waits = 0

    def get(self, block=True, timeout=None):
        CountingQueue.waits += block
        return super().get(block, timeout)


@pytest.fixture
def waits(monkeypatch) -> type[CountingQueue]:
    monkeypatch.setattr(outbox_module, "queue", SimpleNamespace(SimpleQueue=CountingQueue, Empty=queue.Empty))
    CountingQueue.waits = 0
    return CountingQueue


def test_events_put_together_go_out_as_few_batches_in_order_with_one_wake(waits):
    sent: list[list] = []
    outbox = Outbox(sent.append, linger=0.05)
    for step in range(300):
        outbox.put("run", "metrics", {"step": step})
    outbox.close()
    assert [e[2]["step"] for batch in sent for e in batch] == list(range(300))
    assert len(sent) <= 3  # one pickle and pipe write for many events, not one each
    # events joining a batch do not wake the pump: only the batches' first events and the close may
    assert waits.waits <= len(sent) + 1


def test_a_lone_event_after_a_quiet_spell_goes_out_at_once():
    """A run's first point, a single step's event: not held for the linger."""
    sent: list[list] = []
    outbox = Outbox(sent.append, linger=30.0)
    outbox.put("run", "status", {"status": "running"})
    deadline = time.monotonic() + 2
    while not sent and time.monotonic() < deadline:
        time.sleep(0.005)
    assert sent == [[("run", "status", {"status": "running"})]]
    outbox.close()


def test_close_ends_the_linger_at_once():
    sent: list[list] = []
    outbox = Outbox(sent.append, linger=30.0)
    outbox.put("run", "done", {"status": "completed"})
    began = time.monotonic()
    outbox.close()
    assert sent == [[("run", "done", {"status": "completed"})]]
    assert time.monotonic() - began < 10  # the last batch goes out when the job ends, not after the linger


class Linger:
    """The pump's linger, ended by the test (release) or by close (set)."""

    def __init__(self) -> None:
        self.ticks = threading.Semaphore(0)

    def wait(self, timeout: float) -> None:
        self.ticks.acquire(timeout=10)

    def set(self) -> None:
        self.ticks.release()


def test_while_events_flow_the_pump_wakes_once_a_batch(waits):
    sent: list[list] = []
    outbox = Outbox(sent.append, linger=1.0)
    outbox.closing = linger = Linger()
    outbox.put("run", "metrics", {"step": 0})  # the first after a quiet spell: sent without a linger
    wait_for(lambda: sent, 10, 0.001)
    for batch in range(1, 5):
        for step in range(3):
            outbox.put("run", "metrics", {"step": 3 * batch + step - 2})
        linger.ticks.release()
        wait_for(lambda batch=batch: len(sent) > batch, 10, 0.001)
    outbox.close()
    assert [[e[2]["step"] for e in b] for b in sent] == [[0]] + [[3 * b - 2, 3 * b - 1, 3 * b] for b in range(1, 5)]
    assert waits.waits == 1  # the first event only: each later batch was waiting when its linger ended
