"""Is a run page with every "inside the run" panel open still responsive while its run streams 20+ updates/s?

Usage: python bench/page_load.py [seconds] [eval_every]   (starts its own server; Chromium at /usr/bin/chromium)
A CNN on `shapes` trains with eval_every 2 (~100 metrics events/s on 2 cores; 10 gives ~20/s), every probe of
the defaults on (feature maps, histograms, activation statistics, per-layer norms, confusion matrix, test
samples); the page opens every panel, then for `seconds` records in the page: metrics and probe events received,
the gaps between animation frames, the main thread's long tasks (> 50 ms, PerformanceObserver) and the event-loop
lag of a 100 ms timer (what a click would wait).
Target: p99 event-loop lag <= 100 ms (the budget for a response to input) at >= 20 metrics events/s.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from local_server import local_server, machine, stop_runs  # noqa: E402
from long_run import FLAGS  # noqa: E402

RUN = {"name": "page load bench", "dataset": {"name": "shapes"}, "model": {"name": "cnn"},
       "loss": {"name": "cross_entropy"}, "optimizer": {"name": "adam", "params": {"lr": 0.003}},
       "train": {"steps": 200_000, "batch_size": 16, "eval_every": 2}}
TARGET_LAG_MS, TARGET_RATE = 100.0, 20.0

# runs in the page: counts events from the page's own hooks, frames by requestAnimationFrame, lag by a timer
RECORDER = """(seconds) => new Promise((resolve) => {
  const got = {metrics: 0, probes: 0, frames: [], lags: [], long: [], draws: {}};
  const react = Plotly.react;  // each chart's draws, timed: which panel costs what
  Plotly.react = function (div, ...rest) {
    const began = performance.now(), result = react.call(this, div, ...rest);
    const key = div.dataset.chart || div.dataset.part || div.closest("[id]").id;
    (got.draws[key] = got.draws[key] || []).push(performance.now() - began);
    return result;
  };
  document.addEventListener("descent:metrics", () => got.metrics++);
  const view = window.descentRun, onProbe = view.onProbe.bind(view);
  view.onProbe = (p) => { got.probes++; onProbe(p); };
  new PerformanceObserver((list) => list.getEntries().forEach((e) => got.long.push(e.duration)))
    .observe({type: "longtask"});
  let last = performance.now();
  const frame = (now) => { got.frames.push(now - last); last = now; if (!done) requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
  const tick = () => { const asked = performance.now();
    setTimeout(() => { got.lags.push(performance.now() - asked - 100); if (!done) tick(); }, 100); };
  tick();
  let done = false;
  setTimeout(() => { done = true; resolve(got); }, seconds * 1000);
})"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))] if ordered else 0.0


def main() -> None:
    from playwright.sync_api import sync_playwright

    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
    eval_every = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    run = {**RUN, "train": {**RUN["train"], "eval_every": eval_every}}
    with local_server(workers=1) as server, httpx.Client(base_url=server.base, timeout=30) as client:
        run_id = client.post("/api/runs", json=run).json()["id"]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{server.base}/runs/{run_id}")
            # every panel that a probe of this run fills has shown itself; open them all
            page.wait_for_selector("#panel-feature-maps:not([hidden])", timeout=120_000)
            page.wait_for_selector("#panel-predictions:not([hidden])", timeout=120_000)
            opened = page.evaluate("""() => { const all = [...document.querySelectorAll('details.panel')];
                all.forEach((d) => { d.open = true; }); return all.filter((d) => !d.hidden).map((d) => d.id); }""")
            time.sleep(2)  # the first draws of every panel
            heap_before = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize : null")
            got = page.evaluate(RECORDER, seconds)
            heap_after = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize : null")
            browser.close()
        stop_runs(client, [run_id])
        lag99 = percentile(got["lags"], 99)
        rate = got["metrics"] / seconds
        print(json.dumps({
            "bench": "page_load", **machine(client), "seconds": seconds, "eval_every": eval_every,
            "panels_open": opened,
            "metrics_per_s": round(rate, 1), "probe_events_per_s": round(got["probes"] / seconds, 1),
            "frame_gap_ms": {"p50": round(percentile(got["frames"], 50), 1),
                             "p99": round(percentile(got["frames"], 99), 1), "max": round(max(got["frames"]), 1)},
            "event_loop_lag_ms": {"p50": round(percentile(got["lags"], 50), 1), "p99": round(lag99, 1),
                                  "max": round(max(got["lags"]), 1)},
            "draws": {key: {"n": len(ms), "mean_ms": round(sum(ms) / len(ms), 1), "max_ms": round(max(ms), 1)}
                      for key, ms in got["draws"].items()},
            "long_tasks": len(got["long"]), "long_task_ms_per_s": round(sum(got["long"]) / seconds, 1),
            "js_heap_mb": [None if h is None else round(h / 2**20, 1) for h in (heap_before, heap_after)],
            "target": {"event_loop_lag_p99_ms": TARGET_LAG_MS, "metrics_per_s": TARGET_RATE},
            "pass": lag99 <= TARGET_LAG_MS and rate >= TARGET_RATE,
        }), flush=True)


if __name__ == "__main__":
    main()
