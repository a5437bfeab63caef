"""A job's events leave its process in batches, in order, all of them by close()."""

from __future__ import annotations

import time

from app.executor.outbox import Outbox


def test_events_put_together_go_out_as_few_batches_in_order():
    sent: list[list] = []
    outbox = Outbox(sent.append, linger=0.05)
    for step in range(300):
        outbox.put("run", "metrics", {"step": step})
    outbox.close()
    assert [e[2]["step"] for batch in sent for e in batch] == list(range(300))
    assert len(sent) <= 3  # one pickle and pipe write for many events, not one each


def test_a_lone_event_waits_at_most_the_linger():
    sent: list[list] = []
    outbox = Outbox(sent.append, linger=0.02)
    outbox.put("run", "status", {"status": "running"})
    deadline = time.monotonic() + 2
    while not sent and time.monotonic() < deadline:
        time.sleep(0.005)
    assert sent == [[("run", "status", {"status": "running"})]]
    outbox.close()
