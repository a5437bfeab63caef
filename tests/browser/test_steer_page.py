"""Steering from the run page: lr halved on a paused run, a marker on every chart at that step, the stored event,
and the exported script reproducing the first 10 losses after the steer."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
from playwright.sync_api import expect

from tests.conftest import run_config, wait_for

CHARTS = ("loss", "acc", "lr", "grad")


def test_halving_the_lr_mid_flight(page, live_server, tmp_path):
    config = run_config(train={"steps": 150, "eval_every": 1}, probes=[])
    run_id = httpx.post(live_server + "/api/runs", json=config, timeout=60).json()["id"]
    httpx.post(f"{live_server}/api/runs/{run_id}/control", json={"action": "pause"}, timeout=30)
    wait_for(lambda: httpx.get(f"{live_server}/api/runs/{run_id}").json()["status"] == "paused")
    page.goto(f"{live_server}/runs/{run_id}")
    expect(page.locator("#run-status")).to_have_text("paused")
    page.fill("#steer [name=lr]", "-1")
    page.click("#steer button[type=submit]")
    expect(page.locator("#steer-error")).to_contain_text("lr: Input should be greater than 0")
    page.fill("#steer [name=lr]", "0.005")
    page.click("#steer button[type=submit]")
    expect(page.locator("#steer-error")).to_have_text("")
    page.click("button[data-action=resume]")
    expect(page.locator("#live")).to_have_attribute("data-steers", "1", timeout=60_000)
    wait_for(lambda: httpx.get(f"{live_server}/api/runs/{run_id}").json()["status"] == "completed", 120)

    history = httpx.get(f"{live_server}/api/runs/{run_id}/history", timeout=30).json()
    (steer,) = history["steers"]
    assert steer["values"] == {"lr": 0.005}
    at = steer["step"]
    for chart in CHARTS:
        page.wait_for_function(
            "([id, at]) => ((document.getElementById(id).layout || {}).shapes || []).some(s => s.x0 === at)",
            arg=[f"chart-{chart}", at], timeout=20_000)

    script = httpx.get(f"{live_server}/api/runs/{run_id}/script", timeout=120)
    assert script.status_code == 200, script.text
    (tmp_path / "replay.py").write_text(script.text)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "replay.py", "--steps", str(at + 10), "--device", "cpu"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    replayed = {line["step"]: line for line in map(json.loads, done.stdout.splitlines()) if "step" in line}
    losses = dict(zip(history["series"]["train_loss"]["step"], history["series"]["train_loss"]["value"], strict=True))
    lrs = dict(zip(history["series"]["lr"]["step"], history["series"]["lr"]["value"], strict=True))
    for step in range(at + 1, at + 11):
        assert abs(replayed[step]["train_loss"] - losses[step]) <= 1e-5, step
        assert replayed[step]["lr"] == lrs[step] == 0.005
