"""The builder's race list offers the optimizers that can race, read from their registry entries."""

from __future__ import annotations

import re

from engine.optimizers import optimizers


def test_the_race_list_leaves_out_the_optimizers_that_need_a_closure(client):
    page = client.get("/").text
    offered = set(re.findall(r'data-race-optimizer="([^"]+)"', page))
    assert offered == {e.name for e in optimizers if not e.meta.get("needs_closure")}
    assert "lbfgs" not in offered
