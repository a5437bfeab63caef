"""Target 5: a comparison of 8 runs × 200,000 points opens in at most 1 s in headless Chromium.

The 8 histories are written straight into a fresh store (1.6 M metrics events) rather than trained, and
each run's chart view is computed the way the server does when a run ends. Then a real server starts on
that store and Chromium opens /compare?runs=... until every chart holds its data. Also printed, side by
side: the same page when the stored views are missing (first open rebuilds them), and the full CSV export.

Usage: python bench/long_run.py [--cold]   (--cold adds 8 runs without stored views: slow to fill)
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.history import History  # noqa: E402
from app.store import RunRow, Store  # noqa: E402
from bench.local_server import local_server  # noqa: E402

RUNS, POINTS = 8, 200_000
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
CONFIG = {"dataset": {"name": "moons", "params": {}}, "model": {"name": "mlp", "params": {}},
          "loss": {"name": "cross_entropy", "params": {}}, "optimizer": {"name": "adam", "params": {"lr": 0.01}},
          "train": {"steps": POINTS, "batch_size": 32, "seed": 0, "eval_every": 1, "device": "cpu"}}


def fill(store: Store, with_views: bool) -> list[str]:
    ids = []
    for r in range(RUNS):
        run_id = f"{r:02x}{'b' if with_views else 'c'}" + "0" * 9
        history, events = History(), []
        for step in range(POINTS):
            loss = 2.0 * math.exp(-step / (20_000 * (r + 1))) + 0.05 * math.sin(step / 37.0) ** 2
            payload = {"step": step, "epoch": step / 19, "time": step * 4e-4,
                       "values": {"train_loss": loss, "val_loss": loss * 1.1, "lr": 0.01}}
            history.add(step + 1, "metrics", payload)
            events.append((run_id, step + 1, "metrics", json.dumps(payload)))
        store.add_run(RunRow(id=run_id, name=f"synthetic {r}", status="completed", config=CONFIG, progress=1.0,
                             total_steps=POINTS, created=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
        store.write(events, {run_id: {"history": history.view() if with_views else None}})
        ids.append(run_id)
    return ids


def open_page(url: str) -> float:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        # a person who has used Descent before: plotly.js is in the browser's cache; the page is what we time
        page.goto(url.split("/compare")[0] + "/runs")
        start = time.perf_counter()
        page.goto(url)
        page.wait_for_function("document.body.dataset.ready === 'true'", timeout=120_000)
        elapsed = time.perf_counter() - start
        browser.close()
    return elapsed


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="descent-long-"))
    store = Store(f"sqlite:///{folder}/descent.db")
    started = time.perf_counter()
    kept = fill(store, with_views=True)
    missing = fill(store, with_views=False) if "--cold" in sys.argv else []
    fill_s = time.perf_counter() - started
    with local_server(database=folder / "descent.db") as server:
        warm = open_page(f"{server.base}/compare?runs={','.join(kept)}")
        cold = open_page(f"{server.base}/compare?runs={','.join(missing)}") if missing else None
        t = time.perf_counter()
        csv = httpx.get(f"{server.base}/api/runs/{kept[0]}/metrics?format=csv", timeout=120)
        csv_s = time.perf_counter() - t
    print(json.dumps({
        "bench": "long_run", "machine": platform.machine(), "cpus": os.cpu_count(), "runs": RUNS, "points": POINTS,
        "open_s": round(warm, 3), "target_s": 1.0, "ratio_to_target": round(warm / 1.0, 3), "pass": warm <= 1.0,
        "open_without_stored_views_s": cold and round(cold, 3), "csv_rows": csv.text.count("\n") - 1,
        "csv_s": round(csv_s, 3), "fill_store_s": round(fill_s, 1),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }))


if __name__ == "__main__":
    main()
