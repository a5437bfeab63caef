"""Is a run page with every "inside the run" panel open still responsive while its run streams 20+ updates/s?

Usage: python bench/page_load.py [seconds] [eval_every] [cnn|neurons]   (starts its own server; Chromium at
/usr/bin/chromium)
A CNN on `shapes` trains with eval_every 2 (~100 metrics events/s on 2 cores; 10 gives ~20/s), every probe of
the defaults on (feature maps, histograms, activation statistics, per-layer norms, confusion matrix, test
samples); the page opens every panel, then for `seconds` records in the page: metrics and probe events received,
the gaps between animation frames, the main thread's long tasks (> 50 ms, PerformanceObserver) and the event-loop
lag of a 100 ms timer (what a click would wait).
Target: p99 event-loop lag <= 100 ms (the budget for a response to input) at >= 20 metrics events/s.
Case `neurons`: a moons MLP with 2×8 hidden units at the default eval_every (10), the network diagram's unit
pictures and weight edges redrawn at every `neurons` reading, the gradient tint at every point, panels open.
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
# the defaults for moons, with the neuron pictures asked for at every logged step (only the probes' time share
# thins them); `neurons_off` is the same page without them, for the side-by-side ratio
OTHER_PROBES = [{"name": n} for n in ("decision_boundary", "layer_norms", "histograms", "activation_stats",
                                      "confusion_matrix")]
NEURONS = {"name": "neuron view bench", "dataset": {"name": "moons"},
           "model": {"name": "mlp", "params": {"hidden_layers": [8, 8]}}, "loss": {"name": "cross_entropy"},
           "optimizer": {"name": "adam", "params": {"lr": 0.01}}, "train": {"steps": 1_000_000, "eval_every": 10},
           "probes": [*OTHER_PROBES, {"name": "neurons", "params": {"every": 10}}]}
# the run, what has shown itself once every part its probes fill is there, and whether to open every panel (the
# neuron view is measured on the page as a person finds it: the diagram drawn, the panels closed)
CASES = {"cnn": (RUN, ["#panel-feature-maps:not([hidden])", "#panel-predictions:not([hidden])"], True),
         "neurons": (NEURONS, ["#network-diagram svg.neuron", "#network-diagram [data-tint]"], False),
         "neurons_off": ({**NEURONS, "probes": OTHER_PROBES}, ["#network-diagram [data-tint]"], False)}
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
  const since = performance.now();
  setTimeout(() => { done = true;
    // the diagram's own redraws (static/js/diagram_*.js measure them): unit pictures and gradient tint
    for (const name of ["diagram:neurons", "diagram:tint"]) {
      got.draws[name] = performance.getEntriesByName(name).filter((e) => e.startTime >= since).map((e) => e.duration);
    }
    resolve(got); }, seconds * 1000);
})"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))] if ordered else 0.0


def main() -> None:
    from playwright.sync_api import sync_playwright

    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
    case = sys.argv[3] if len(sys.argv) > 3 else "cnn"
    base, ready, open_all = CASES[case]
    eval_every = int(sys.argv[2]) if len(sys.argv) > 2 else base["train"]["eval_every"]
    run = {**base, "train": {**base["train"], "eval_every": eval_every}}
    with local_server(workers=1) as server, httpx.Client(base_url=server.base, timeout=30) as client:
        run_id = client.post("/api/runs", json=run).json()["id"]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{server.base}/runs/{run_id}")
            # every panel that a probe of this run fills has shown itself; open them all
            for selector in ready:
                page.wait_for_selector(selector, timeout=120_000)
            opened = page.evaluate("""(open) => { const all = [...document.querySelectorAll('details.panel')];
                all.forEach((d) => { d.open = open; }); return all.filter((d) => d.open).map((d) => d.id); }""",
                                   open_all)
            time.sleep(2)  # the first draws of every panel
            heap_before = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize : null")
            got = page.evaluate(RECORDER, seconds)
            heap_after = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize : null")
            browser.close()
        stop_runs(client, [run_id])
        lag99 = percentile(got["lags"], 99)
        rate = got["metrics"] / seconds
        print(json.dumps({
            "bench": "page_load", "case": case, **machine(client), "seconds": seconds, "eval_every": eval_every,
            "panels_open": opened,
            "metrics_per_s": round(rate, 1), "probe_events_per_s": round(got["probes"] / seconds, 1),
            "frame_gap_ms": {"p50": round(percentile(got["frames"], 50), 1),
                             "p99": round(percentile(got["frames"], 99), 1), "max": round(max(got["frames"]), 1)},
            "event_loop_lag_ms": {"p50": round(percentile(got["lags"], 50), 1), "p99": round(lag99, 1),
                                  "max": round(max(got["lags"]), 1)},
            "draws": {key: {"n": len(ms), "mean_ms": round(sum(ms) / len(ms), 1), "max_ms": round(max(ms), 1)}
                      for key, ms in got["draws"].items() if ms},
            "long_tasks": len(got["long"]), "long_task_ms_per_s": round(sum(got["long"]) / seconds, 1),
            "js_heap_mb": [None if h is None else round(h / 2**20, 1) for h in (heap_before, heap_after)],
            "target": {"event_loop_lag_p99_ms": TARGET_LAG_MS, "metrics_per_s": TARGET_RATE},
            "pass": lag99 <= TARGET_LAG_MS and rate >= TARGET_RATE,
        }), flush=True)


if __name__ == "__main__":
    main()
