"""wire(): an event as (kind, strict-JSON payload) that shares nothing mutable with the event."""

from __future__ import annotations

import math

from engine.events import Metrics, Probe, Status, wire


def test_the_payload_is_strict_json_and_flat():
    kind, payload = wire(Status("running", "training cpu", {"total_steps": 10, "shape": (2, math.inf)}))
    assert kind == "status"
    assert payload == {"status": "running", "message": "training cpu", "total_steps": 10, "shape": [2, None]}
    kind, payload = wire(Metrics(3, 0.5, 0.25, {"train_loss": math.nan, "val_loss": 0.5}))
    assert (kind, payload) == ("metrics", {"step": 3, "epoch": 0.5, "time": 0.25,
                                           "values": {"train_loss": None, "val_loss": 0.5}})


def test_the_payload_is_a_copy_a_later_change_to_the_event_leaves_alone():
    data = {"grid": [[1.0, 2.0]], "meta": {"n": 1}}
    event = Probe(5, "boundary", data)
    _, payload = wire(event)
    data["grid"][0][0] = 9.0
    data["meta"]["n"] = 2
    event.step = 6
    assert payload == {"step": 5, "name": "boundary", "data": {"grid": [[1.0, 2.0]], "meta": {"n": 1}}}
    status = Status("running", "", {"device": "cpu"})
    wire(status)
    assert status.extra == {"device": "cpu"}  # flattening the payload leaves the event's own extra in place
