"""The network diagram in the builder: every network draws one node per layer of its plan, ResNet's arcs follow the
skip switch, and a node leads to its fields."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from app.links import encode_config
from engine.datasets import datasets
from engine.networks import networks

DIAGRAM = "#network-diagram"


def config_for(network: str, **params) -> dict:
    """The network on the first built-in data set it accepts."""
    accepts = networks[network].meta["accepts"]
    dataset = next(d for d in datasets.names() if datasets[d].meta.get("kind") in accepts)
    loss = "mse" if datasets[dataset].meta["kind"] == "vector" else "cross_entropy"
    return {"dataset": {"name": dataset}, "model": {"name": network, "params": params}, "loss": {"name": loss},
            "optimizer": {"name": "adam"}, "train": {"steps": 100}}


def open_builder(page, live_server: str, config: dict) -> None:
    page.goto(f"{live_server}/?config={encode_config(config)}")
    expect(page.locator(f"{DIAGRAM} [data-layer]").first).to_be_visible(timeout=20_000)


@pytest.mark.parametrize("network", networks.names())
def test_every_network_draws_one_node_per_layer(page, live_server, network):
    config = config_for(network)
    plan = httpx.post(live_server + "/api/plans", json=config, timeout=60).json()
    open_builder(page, live_server, config)
    drawn = page.eval_on_selector_all(f"{DIAGRAM} [data-layer]", "ns => ns.map(n => n.dataset.layer)")
    weighted = [row["name"] for row in plan["architecture"]["layers"] if row["parameters"]]
    assert len(drawn) == len(set(drawn)), "a layer drawn twice"
    assert set(weighted) <= set(drawn)
    assert len(drawn) == len(plan["architecture"]["layers"])
    # each node says its type and output shape, as the table beside it does
    first = plan["architecture"]["layers"][0]
    node = page.locator(f"{DIAGRAM} [data-layer='{first['name']}']")
    expect(node).to_contain_text(first["type"][:16])
    expect(node).to_contain_text("×".join(map(str, first["output_shape"])))


def test_the_shapes_of_the_networks(page, live_server):
    open_builder(page, live_server, config_for("inception"))
    lanes = page.eval_on_selector_all(f"{DIAGRAM} [data-layer^='1.branches.'] rect.box",
                                      "rs => [...new Set(rs.map(r => r.getAttribute('y')))].length")
    assert lanes == 4  # the four branches side by side
    expect(page.locator(f"{DIAGRAM} [data-join]").first).to_contain_text("concat")
    open_builder(page, live_server, config_for("lstm"))
    expect(page.locator(f"{DIAGRAM} .loop path.recurrent")).to_have_count(1)
    open_builder(page, live_server, config_for("transformer"))
    expect(page.locator(f"{DIAGRAM} path.arc.skip")).to_have_count(4)  # attention and feed-forward, two layers
    expect(page.locator(f"{DIAGRAM} path.edge.added")).to_have_count(1)  # positions added to the embedding
    open_builder(page, live_server, config_for("siamese"))
    expect(page.locator(f"{DIAGRAM} path.shared")).to_have_count(2 * 2)  # each weighted layer to its two twins
    expect(page.locator(f"{DIAGRAM} .node.input")).to_have_count(3)  # anchor, positive, negative
    expect(page.locator(f"{DIAGRAM} .node.twin").first).to_be_visible()


def test_resnet_arcs_follow_the_skip_switch(page, live_server):
    open_builder(page, live_server, config_for("resnet", blocks_per_stage=[1, 2, 1]))
    arcs = page.locator(f"{DIAGRAM} path.arc.skip")
    expect(arcs).to_have_count(4)
    page.locator("[name='model.params.skip_connections']").uncheck()
    expect(arcs).to_have_count(0, timeout=20_000)  # redrawn from the new plan, no reload
    expect(page.locator(f"{DIAGRAM} [data-layer$='.shortcut']")).to_have_count(0)
    page.locator("[name='model.params.skip_connections']").check()
    expect(arcs).to_have_count(4, timeout=20_000)


def test_a_node_leads_to_its_fields(page, live_server):
    open_builder(page, live_server, config_for("mlp"))
    page.fill("[name='model.params.hidden_layers']", "8, 8, 8")
    expect(page.locator(f"{DIAGRAM} [data-type=Linear]")).to_have_count(4, timeout=20_000)
    page.locator(f"{DIAGRAM} [data-layer='3']").click()
    field = page.locator(".field:has([name='model.params.hidden_layers'])")
    expect(field).to_have_class("field diagram-highlight")
    page.locator(f"{DIAGRAM} [data-layer='2']").click()  # an activation
    expect(page.locator(".field:has([name='model.params.activation'])")).to_have_class("field diagram-highlight")
