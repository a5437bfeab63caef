"""The store keeps every event of a batch, whatever run fields the batch updates (none included); on SQLite and on
PostgreSQL."""

from __future__ import annotations

import datetime as dt

from app.store import RunRow, Store


def test_a_batch_of_probe_events_without_field_updates_is_kept(database_url):
    store = Store(database_url)
    store.add_run(RunRow(id="abcdef012345", name=None, status="running", config={}, progress=0.0,
                         created=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
    store.write([("abcdef012345", 1, "probe", '{"name":"x","step":0,"data":{}}')], {"abcdef012345": {}})
    store.write([("abcdef012345", 2, "metrics", '{"step":1,"epoch":0,"time":0,"values":{"train_loss":1}}')],
                {"abcdef012345": {"progress": 0.5}})
    assert [e.seq for e in store.events_after("abcdef012345", 0)] == [1, 2]
    assert store.get_run("abcdef012345").progress == 0.5


def test_non_finite_numbers_in_json_fields_are_stored_as_null(database_url):
    # a diverged run's summary holds NaN; PostgreSQL's json type refuses NaN and Infinity
    store = Store(database_url)
    store.add_run(RunRow(id="0123456789ab", name="diverged", status="running", config={"lr": 10.0}, progress=0.0,
                         created=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
    store.write([], {"0123456789ab": {"status": "diverged", "summary": {"train_loss": float("nan"),
                                                                        "grad_norm": float("inf"), "steps": 3}}})
    run = store.get_run("0123456789ab")
    assert run.status == "diverged" and run.summary == {"train_loss": None, "grad_norm": None, "steps": 3}
