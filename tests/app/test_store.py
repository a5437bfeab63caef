"""The store keeps every event of a batch, whatever run fields the batch updates (none included)."""

from __future__ import annotations

import datetime as dt

from app.store import RunRow, Store


def test_a_batch_of_probe_events_without_field_updates_is_kept(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/s.db")
    store.add_run(RunRow(id="abcdef012345", name=None, status="running", config={}, progress=0.0,
                         created=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
    store.write([("abcdef012345", 1, "probe", '{"name":"x","step":0,"data":{}}')], {"abcdef012345": {}})
    store.write([("abcdef012345", 2, "metrics", '{"step":1,"epoch":0,"time":0,"values":{"train_loss":1}}')],
                {"abcdef012345": {"progress": 0.5}})
    assert [e.seq for e in store.events_after("abcdef012345", 0)] == [1, 2]
    assert store.get_run("abcdef012345").progress == 0.5
