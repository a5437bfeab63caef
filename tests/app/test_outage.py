"""Nothing lost, nothing stranded: a database that refuses writes mid-run (H9), runs interrupted by a dead
server (H10). The store's writes fail on demand: every INSERT, UPDATE and DELETE raises SQLite's read-only
error while the switch is on, as a database remounted read-only or a full disk would."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from app.runs import LOST, RunManager
from app.store import RunRow, Store
from app.stream import Hub
from tests.conftest import finish, parts, run_config, wait_for

WRITES = ("INSERT", "UPDATE", "DELETE")


def refusing(store: Store) -> threading.Event:
    """A switch: while it is set, the store's database refuses every write."""
    switch = threading.Event()

    @event.listens_for(store.engine, "before_cursor_execute")
    def _refuse(connection, cursor, statement, parameters, context, executemany):
        if switch.is_set() and statement.lstrip().split(None, 1)[0].upper() in WRITES:
            raise sqlite3.OperationalError("attempt to write a readonly database")

    return switch


def add_run(store: Store, status: str = "queued") -> RunRow:
    row = RunRow(id="abcdef012345", name=None, status=status, config={}, progress=0.0, total_steps=100,
                 created=dt.datetime.now(dt.UTC).replace(tzinfo=None))
    store.add_run(row)
    return row


def metrics(run_id: str, steps) -> list:
    return [(run_id, "metrics", {"step": s, "epoch": 0.0, "time": 0.0, "values": {"train_loss": 1.0 / (s + 1)}})
            for s in steps]


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(f"sqlite:///{tmp_path}/outage.db")


def test_events_the_store_refuses_are_held_and_written_when_it_recovers(store):
    switch, manager = refusing(store), RunManager(store, Hub())
    row = add_run(store)
    manager.open([row])
    switch.set()
    manager.on_events([(row.id, "status", {"status": "running", "message": ""}), *metrics(row.id, range(50)),
                       (row.id, "done", {"status": "completed", "summary": {"steps": 49}})])
    manager.flush()
    assert store.get_run(row.id).status == "queued" and manager.refused_since is not None
    switch.clear()
    manager.flush()
    assert store.get_run(row.id).status == "completed" and store.get_run(row.id).progress == 1.0
    assert [e.seq for e in store.events_after(row.id, 0)] == list(range(1, 1 + 1 + 1 + 50 + 1))
    assert manager.refused_since is None and manager.dropped == 0


def test_past_the_memory_bound_the_oldest_events_go_and_the_status_still_lands(store):
    switch = refusing(store)
    manager = RunManager(store, Hub(), max_unwritten_bytes=3_000)
    row = add_run(store)
    manager.open([row])
    switch.set()
    manager.on_events(metrics(row.id, range(200)))
    manager.on_events([(row.id, "status", {"status": "stopped", "message": "stopped by a person"}),
                       (row.id, "done", {"status": "stopped", "summary": {}})])
    assert manager.dropped > 0
    switch.clear()
    manager.flush()
    run = store.get_run(row.id)
    assert run.status == "stopped" and run.error == "stopped by a person"
    kept = store.events_after(row.id, 0)
    assert kept[-1].kind == "done" and kept[-1].seq == 1 + 200 + 2  # the newest are the ones kept
    assert sum(len(e.data) for e in kept[1:]) <= 3_000 and len(kept) == 1 + 200 + 2 - manager.dropped


def test_a_run_released_without_its_end_is_failed_not_left_running(store):
    manager = RunManager(store, Hub())
    row = add_run(store)
    manager.open([row])
    manager.on_events([(row.id, "status", {"status": "running", "message": ""}), *metrics(row.id, [0, 10])])
    manager.on_released([row.id])
    run = store.get_run(row.id)
    assert run.status == "failed" and run.error == LOST
    assert manager.hub.get(row.id).closed
    manager.on_released([row.id])  # a second release of an ended run changes nothing
    assert [e.kind for e in store.events_after(row.id, 0)][-2:] == ["status", "done"]


def test_runs_interrupted_at_start_up_end_their_history_with_the_status(store):
    row = add_run(store, status="running")
    store.write([(row.id, 1, "status", '{"status":"running","message":""}'),
                 (row.id, 2, "metrics", '{"step":0,"epoch":0,"time":0,"values":{}}')], {})
    assert store.mark_interrupted() == [row.id]
    events = store.events_after(row.id, 0)
    assert [(e.seq, e.kind) for e in events] == [(1, "status"), (2, "metrics"), (3, "status"), (4, "done")]
    assert json.loads(events[2].data)["status"] == json.loads(events[3].data)["status"] == "interrupted"
    assert store.get_run(row.id).status == "interrupted"


@pytest.fixture(scope="module")
def server(tmp_path_factory, data_dir):
    """An app whose database held a run left running by a server that died, and whose writes fail on demand."""
    from app.main import create_app
    from app.settings import Settings

    url = f"sqlite:///{tmp_path_factory.mktemp('outage')}/descent.db"
    add_run(Store(url), status="running")
    settings = Settings(database_url=url, data_dir=str(data_dir), workers=1, torch_threads=1)
    with TestClient(create_app(settings)) as client:
        assert parts(client).pool.wait_ready(120)
        yield client, refusing(parts(client).store)


def test_the_stream_of_a_run_interrupted_at_start_up_ends_interrupted(server):
    client, _ = server
    with client.stream("GET", "/api/runs/abcdef012345/events") as response:
        lines = [line for line in response.iter_lines() if line.startswith(("event:", "data:"))]
    assert lines[-4:-2] == ["event: status", 'data: {"status":"interrupted","message":'
                            '"the server stopped while this run was active"}']
    assert lines[-2:] == ["event: done", 'data: {"status":"interrupted","summary":{}}']


def test_a_run_through_a_database_outage_ends_completed_with_every_event(server):
    client, switch = server
    run_id = client.post("/api/runs", json=run_config(train={"steps": 3000, "eval_every": 10})).json()["id"]
    store, hub = parts(client).store, parts(client).manager.hub
    wait_for(lambda: len(store.metrics(run_id)) > 5)
    switch.set()
    try:
        wait_for(lambda: hub.get(run_id).closed, 120)  # the worker finished while nothing could be stored
        assert client.get(f"/api/runs/{run_id}").json()["status"] == "running"
        refused = client.post("/api/runs", json=run_config())
        assert refused.status_code == 503 and "database" in refused.json()["detail"]
        assert client.delete(f"/api/runs/{run_id}").status_code == 503  # and the run stays as it was
    finally:
        switch.clear()
    run = finish(client, run_id, timeout=30)
    assert run["status"] == "completed" and run["progress"] == 1.0
    streamed = [e for e in hub.get(run_id).events if e.kind == "metrics"]
    assert len(store.metrics(run_id)) == len(streamed) == 301
    assert client.post(f"/api/runs/{run_id}/control", json={"action": "stop"}).status_code == 409
