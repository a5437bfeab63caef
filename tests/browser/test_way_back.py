"""Races and sweeps have lists; members and trials link back to them; a run's landscapes and LR range tests sit under
it in the runs list instead of beside it (issue 19, item 2)."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.conftest import run_config, wait_for

END = ("completed", "failed", "stopped", "diverged")


def post(url: str, json: dict) -> httpx.Response:
    return httpx.post(url, json=json, timeout=60)  # two cores shared with the training workers


def ended(base: str, run_id: str) -> None:
    status = lambda: httpx.get(f"{base}/api/runs/{run_id}", timeout=30).json()["status"]  # noqa: E731
    wait_for(lambda: status() in END, timeout=180, interval=0.3)


def test_races_and_sweeps_are_listed_and_their_runs_link_back(page, live_server):
    base = run_config(name="way back", train={"steps": 30})
    variants = [{"optimizer": {"name": "sgd", "params": {"lr": 0.1}}}, {"optimizer": {"name": "adam"}}]
    race = post(f"{live_server}/api/comparisons", json={"name": "two optimizers", "base": base, "variants": variants})
    space = {"optimizer.params.lr": {"log_uniform": [1e-3, 1e-1]}}
    sweep = post(f"{live_server}/api/sweeps", json={"name": "lr search", "base": base, "trials": 1, "space": space})
    assert race.status_code == 201 and sweep.status_code == 201, (race.text, sweep.text)
    race, sweep = race.json(), sweep.json()

    page.goto(live_server + "/")
    page.click("header nav a:text('Races')")
    page.click(f"#race-list tr[data-race='{race['id']}'] a")
    page.click(f"tr[data-member='{race['run_ids'][0]}'] a")
    expect(page.locator("#run-context")).to_contain_text("member of the race two optimizers")
    page.click("#run-context a:text('two optimizers')")
    expect(page).to_have_url(f"{live_server}/compare/{race['id']}")
    page.click("a:text('all races')")
    expect(page.locator("#race-list tr[data-race]")).to_have_count(1)

    page.click("header nav a:text('Sweeps')")
    page.click(f"#sweep-list tr[data-sweep='{sweep['id']}'] a")
    expect(page.locator("#trials tr[data-trial] a")).to_have_count(1, timeout=60_000)
    page.click("#trials tr[data-trial] a")
    expect(page.locator("#run-context")).to_contain_text("trial 0 of the sweep lr search")
    page.click("#run-context a:text('lr search')")
    expect(page).to_have_url(f"{live_server}/sweeps/{sweep['id']}")
    page.click("a:text('all sweeps')")
    expect(page).to_have_url(f"{live_server}/sweeps")


def test_a_runs_landscapes_and_range_tests_sit_under_it(page, live_server):
    config = run_config(name="parent run", train={"steps": 40})
    parent = post(f"{live_server}/api/runs", json=config).json()["id"]
    ended(live_server, parent)
    landscape = post(f"{live_server}/api/runs/{parent}/landscape", json={"kind": "random", "n": 5}).json()["id"]
    tested = post(f"{live_server}/api/lab/lr-range", json={"config": config, "steps": 20}).json()["run_id"]
    ended(live_server, landscape)
    ended(live_server, tested)

    page.goto(live_server + "/runs")
    rows = page.locator("#runs-table tr[data-run]")
    expect(page.locator(f"#runs-table tr[data-run='{parent}']")).to_be_visible()
    expect(page.locator(f"#runs-table tr[data-run='{landscape}']")).to_have_count(0)  # not a peer
    expect(page.locator(f"#runs-table tr[data-run='{tested}']")).to_have_count(0)
    expect(page.locator(f"tr[data-jobs-of='{parent}'] [data-job='{landscape}']")).to_contain_text("loss landscape")
    page.click(f"[data-job='{landscape}'] a")
    expect(page.locator("#run-context")).to_contain_text(f"loss landscape of {parent}")

    page.goto(live_server + "/runs")
    page.select_option("#run-kind", "lr_range")
    expect(rows).to_have_count(1)
    expect(page.locator(f"#runs-table tr[data-run='{tested}']")).to_be_visible()
    page.select_option("#run-kind", "landscape")
    expect(page.locator(f"#runs-table tr[data-run='{landscape}']")).to_be_visible()
    expect(rows).to_have_count(1)
    page.select_option("#run-kind", "any")
    for run_id in (parent, landscape, tested):
        expect(page.locator(f"#runs-table tr[data-run='{run_id}']")).to_be_visible()
    # the API's list keeps answering every run unless asked for a kind
    assert {r["id"] for r in httpx.get(f"{live_server}/api/runs").json()} >= {parent, landscape, tested}
    assert [r["id"] for r in httpx.get(f"{live_server}/api/runs?kind=landscape").json()] == [landscape]
