"""The diagram on a run page: the run's own network, tinted by each layer's gradient norm."""

from __future__ import annotations

import math

import httpx
from playwright.sync_api import expect

from tests.conftest import run_config, wait_for

DIAGRAM = "#network-diagram"
# eight sigmoid layers: each backward step through a sigmoid multiplies by at most 1/4, so gradients vanish
DEEP_SIGMOID = run_config(model={"name": "mlp", "params": {"hidden_layers": [16] * 8, "activation": "sigmoid"}},
                          train={"steps": 40, "eval_every": 10})


def finished_run(live_server: str, config: dict) -> str:
    run_id = httpx.post(live_server + "/api/runs", json=config, timeout=60).json()["id"]
    wait_for(lambda: httpx.get(f"{live_server}/api/runs/{run_id}").json()["status"] == "completed", 120)
    return run_id


def test_the_sigmoid_mlp_fades_from_the_last_layer_to_the_first(page, live_server):
    run_id = finished_run(live_server, DEEP_SIGMOID)
    page.goto(f"{live_server}/runs/{run_id}")
    linear = page.locator(f"{DIAGRAM} [data-type=Linear]")
    expect(linear).to_have_count(9)
    page.wait_for_function(f"document.querySelectorAll('{DIAGRAM} [data-type=Linear][data-tint]').length === 9",
                           timeout=20_000)
    grads = linear.evaluate_all("ns => ns.map(n => Number(n.dataset.grad))")
    tints = linear.evaluate_all("ns => ns.map(n => Number(n.dataset.tint))")
    # the stored point the tint shows: the run's last grad_norm of each layer
    history = httpx.get(f"{live_server}/api/runs/{run_id}/history").json()["series"]
    shown = linear.evaluate_all("ns => ns.map(n => n.dataset.shown)")
    assert shown == [f"fc.{i}" for i in range(9)]  # the probes' names for a flat Sequential's layers
    for name, grad in zip(shown, grads, strict=True):
        assert math.isclose(grad, history[f"grad_norm/{name}"]["value"][-1], rel_tol=1e-6)
    assert grads[0] < grads[-1] / 10  # vanished by more than a decade over eight sigmoids
    assert tints[0] < 0.2 and tints[-1] > 0.8  # pale at the input, deep at the output
    assert sum(b >= a for a, b in zip(tints, tints[1:], strict=False)) >= 6  # a fade, not noise
    fills = linear.evaluate_all("ns => ns.map(n => n.querySelector('rect.box').style.fill)")
    assert fills[0] != fills[-1]
    expect(page.locator(".diagram-legend")).to_contain_text("gradient norm")
    expect(page.locator(".diagram-legend [data-legend=min]")).to_have_text(f"{min(grads):.1e}".replace("e-0", "e-"))
