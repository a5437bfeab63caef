"""Runs and the jobs about them (loss landscapes, LR range tests): told apart in SQL before the list is paged, each
job found under the run it belongs to, and races and sweeps found from their members (issue 19, item 2)."""

from __future__ import annotations

import datetime as dt

from app.listing import RunFilter
from app.store import ComparisonRow, RunRow, Store, SweepRow

NOW = dt.datetime(2026, 11, 26)


def row(run_id: str, minute: int, tags=(), schedule=None, start_from=None) -> RunRow:
    config = {"dataset": {"name": "moons"}, "schedule": schedule and {"name": schedule}, "start_from": start_from}
    return RunRow(id=run_id, name=run_id, status="completed", config=config, progress=1.0, tags=list(tags),
                  created=NOW + dt.timedelta(minutes=minute))


def test_jobs_are_filtered_in_sql_and_found_under_their_run(database_url):
    store = Store(database_url)
    parent, other = "aaaaaaaaaaaa", "bbbbbbbbbbbb"
    store.add_all([
        row(parent, 0, start_from={"run": other, "mode": "finetune"}),  # a fine-tune is a run of its own
        row(other, 1, schedule="cosine"),
        # the landscape's config is its parent's, start_from included: its tag says whose landscape it is
        row("cccccccccccc", 2, tags=["landscape", f"landscape-of:{parent}"], start_from={"run": other}),
        row("dddddddddddd", 3, schedule="lr_range", start_from={"run": parent, "mode": "finetune"}),
        row("eeeeeeeeeeee", 4, schedule="lr_range"),  # a range test of a config, from the lab: no run above it
    ])
    ids = lambda kind, limit=10: [r.id for r in store.list_runs(RunFilter(kind=kind), limit)]  # noqa: E731
    assert ids("run") == [other, parent]
    assert ids("run", limit=1) == [other]  # paged after the filter, not before
    assert ids("landscape") == ["cccccccccccc"]
    assert ids("lr_range") == ["eeeeeeeeeeee", "dddddddddddd"]
    assert len(ids(None)) == len(ids("any")) == 5
    found = store.jobs_of([parent, other])
    assert {k: [r.id for r in v] for k, v in found.items()} == {parent: ["cccccccccccc", "dddddddddddd"]}


def test_a_member_finds_its_race_and_a_trial_its_sweep(database_url):
    store = Store(database_url)
    store.add_all([
        ComparisonRow(id="race00000001", name="r", base={}, variants=[], run_ids=["aaaaaaaaaaaa", "bbbbbbbbbbbb"],
                      labels=["a", "b"], mode="batched", reason=None, created=NOW),
        SweepRow(id="sweep0000001", name="s", base={}, space={}, metric="val_loss", seed=0, created=NOW,
                 trials=[{"run_id": "cccccccccccc", "values": {}, "number": 0}], search=None),
    ])
    assert [g and g.id for g in store.groups_of("bbbbbbbbbbbb")] == ["race00000001", None]
    assert [g and g.id for g in store.groups_of("cccccccccccc")] == [None, "sweep0000001"]
    assert store.groups_of("aaaaaaaaaaab") == (None, None)


def test_the_runs_page_reads_a_filter_left_at_all(client):
    # the filter form sends every select, "all" as an empty value: that is no filter, not a 422
    response = client.get("/runs?fragment=table&kind=&dataset=&network=&optimizer=&tag=&status=")
    assert response.status_code == 200
    assert client.get("/api/runs?status=").status_code == 200
