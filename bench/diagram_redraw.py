"""How long the builder's network diagram takes to redraw, for every network at its default size in Chromium.

Usage: python bench/diagram_redraw.py [repeats]   (starts its own server; Chromium at /usr/bin/chromium)
For each network, on the first data set it accepts: the plan (POST /api/plans, as the builder gets it), then in the
page `repeats` calls of static/js/diagram.js's drawDiagram (layout + SVG + insertion, then a forced layout so the
browser's own work counts); and, for the largest, a real edit in the builder (a field changed) timed from the input
event to the new SVG in the page, which adds the builder's 250 ms debounce and the server's plan.
Target: a redraw <= 100 ms (p99 of the draws) for the largest default network.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from local_server import local_server, machine  # noqa: E402

from app.links import encode_config  # noqa: E402
from engine.datasets import datasets  # noqa: E402
from engine.networks import networks  # noqa: E402

TARGET_MS = 100.0
DRAW = """async ([architecture, repeats]) => {
  const { drawDiagram } = await import("/static/js/diagram.js");
  const host = document.getElementById("network-diagram");
  const times = [];
  for (let i = 0; i < repeats; i++) {
    const began = performance.now();
    drawDiagram(host, architecture);
    host.getBoundingClientRect(); host.querySelector("svg").getBBox();  // style and layout, not only the DOM
    times.push(performance.now() - began);
  }
  return times;
}"""
# one edit in the builder: input event → the diagram's next `diagram:drawn`
EDIT = """([selector, value]) => new Promise((resolve) => {
  const host = document.getElementById("network-diagram");
  const input = document.querySelector(selector);
  let began;
  host.addEventListener("diagram:drawn", () => resolve(performance.now() - began), { once: true });
  began = performance.now();
  input.value = value;
  input.dispatchEvent(new Event("input", { bubbles: true }));
})"""


def config_for(network: str) -> dict:
    accepts = networks[network].meta["accepts"]
    dataset = next(d for d in datasets.names() if datasets[d].meta.get("kind") in accepts)
    loss = "mse" if datasets[dataset].meta["kind"] == "vector" else "cross_entropy"
    return {"dataset": {"name": dataset}, "model": {"name": network}, "loss": {"name": loss},
            "optimizer": {"name": "adam"}, "train": {"steps": 100}}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def main() -> None:
    from playwright.sync_api import sync_playwright

    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    with local_server(workers=1) as server, httpx.Client(base_url=server.base, timeout=60) as client:
        plans = {n: client.post("/api/plans", json=config_for(n)).json()["architecture"] for n in networks.names()}
        largest = max(plans, key=lambda n: len(plans[n]["layers"]))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium")
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{server.base}/?config={encode_config(config_for(largest))}")
            page.wait_for_selector("#network-diagram [data-layer]", timeout=60_000)
            draws = {n: page.evaluate(DRAW, [plan, repeats]) for n, plan in plans.items()}
            edits = []
            for i in range(5):  # the width back and forth: each edit a new plan
                edits.append(page.evaluate(EDIT, ["[name='model.params.width']", str(16 + 4 * ((i + 1) % 2))]))
            browser.close()
        p99 = percentile(draws[largest], 99)
        print(json.dumps({
            "bench": "diagram_redraw", **machine(client), "repeats": repeats, "largest": largest,
            "rows": {n: len(plan["layers"]) for n, plan in plans.items()},
            "draw_ms": {n: {"median": round(statistics.median(ms), 2), "p99": round(percentile(ms, 99), 2)}
                        for n, ms in draws.items()},
            "edit_to_drawn_ms": {"median": round(statistics.median(edits), 1), "max": round(max(edits), 1),
                                 "includes": "the builder's 250 ms debounce and POST /partials/plan"},
            "target": {"draw_p99_ms_largest": TARGET_MS}, "pass": p99 <= TARGET_MS,
        }), flush=True)


if __name__ == "__main__":
    main()
