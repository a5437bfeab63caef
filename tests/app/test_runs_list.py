"""The runs list filters in SQL, then pages (H12): a paused run older than the newest 500 is still found."""

from __future__ import annotations

import datetime as dt

import pytest

from app.store import RunRow
from tests.conftest import parts, run_config

OLD = dt.datetime(2000, 1, 1)


@pytest.fixture(scope="module")
def archive(client) -> list[str]:
    """603 runs from the year 2000 (older than any the tests make): 600 completed, then 3 paused ones before them."""
    rows = [RunRow(id=f"{i:012x}", name=f"archived {i}", status="paused" if i < 3 else "completed", progress=1.0,
                   config=run_config(), tags=["archive", f"n{i % 7}", *(["n0x"] if i == 1 else [])],
                   created=OLD + dt.timedelta(minutes=i))
            for i in range(603)]
    parts(client).store.add_all(rows)
    return [row.id for row in rows[:3]]


def test_a_filter_finds_runs_older_than_the_newest_page(client, archive):
    paused = client.get("/api/runs", params={"status": "paused"}).json()
    assert set(archive) <= {r["id"] for r in paused} and {r["status"] for r in paused} == {"paused"}
    tagged = client.get("/api/runs", params={"tag": "n0", "status": "paused"}).json()
    assert [r["id"] for r in tagged] == [archive[0]]  # the tag matches whole tags only ("n0", not "n0x")
    assert client.get("/api/runs", params={"tag": "n_"}).json() == []  # nor as a LIKE pattern
    both = client.get("/api/runs", params={"dataset": "moons", "optimizer": "adam", "network": "mlp", "tag": "archive"})
    assert len(both.json()) == 500  # the default page
    assert client.get("/api/runs", params={"status": "resting"}).status_code == 422


def test_pages_follow_each_other_newest_first(client, archive):
    first = client.get("/api/runs", params={"tag": "archive", "limit": 400}).json()
    second = client.get("/api/runs", params={"tag": "archive", "limit": 400, "offset": 400}).json()
    ids = [r["id"] for r in first + second]
    assert len(ids) == 603 == len(set(ids)) and ids[-3:] == archive[::-1]
    assert [r["created"] for r in first + second] == sorted((r["created"] for r in first + second), reverse=True)


def test_the_runs_page_filters_and_links_to_older_runs(client, archive):
    page = client.get("/runs", params={"status": "paused"}).text
    assert all(f'data-run="{run_id}"' in page for run_id in archive)
    listing = client.get("/runs", params={"tag": "archive"}).text
    assert listing.count('data-run="') == 200 and 'href="/runs?tag=archive&amp;offset=200"' in listing
    last = client.get("/runs", params={"tag": "archive", "offset": 600}).text
    assert last.count('data-run="') == 3 and "older runs" not in last and "newer runs" in last
