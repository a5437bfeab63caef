"""Downsampling keeps the size bound, the extremes, and the first and last points exactly."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from app.downsample import minmax_indices
from app.history import History
from tests.conftest import finish, run_config

values = st.lists(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=False, width=32)),
                  min_size=1, max_size=3000)


@given(values, st.integers(min_value=10, max_value=500))
def test_minmax_keeps_bound_extremes_and_ends(ys, max_points):
    kept = minmax_indices(ys, max_points)
    assert kept == sorted(set(kept)) and kept[0] == 0 and kept[-1] == len(ys) - 1
    assert len(kept) <= max_points + 2
    finite = [y for y in ys if y is not None and math.isfinite(y)]
    if finite:
        shown = [ys[i] for i in kept if ys[i] is not None and math.isfinite(ys[i])]
        assert min(shown) == min(finite) and max(shown) == max(finite)


def test_history_downsamples_each_metric_on_its_own():
    import numpy as np

    history = History()
    for i in range(200_000):
        values = {"loss": float(np.sin(i / 50)), **({"acc": 0.5} if i % 7 == 0 else {})}
        history.add(i + 1, "metrics", {"step": i, "epoch": i / 10, "time": i / 100, "values": values})
    out = history.view(1000)["series"]
    assert len(out["loss"]["step"]) <= 1002 and out["loss"]["step"][-1] == 199_999
    assert out["loss"]["value"][-1] == float(np.sin(199_999 / 50))
    assert max(out["loss"]["value"]) == max(float(np.sin(i / 50)) for i in range(200_000))
    assert out["acc"]["step"][-1] == 199_997


def test_history_endpoint_gives_series_probes_and_follow_point(client):
    run_id = client.post("/api/runs", json=run_config(train={"steps": 3000, "eval_every": 1})).json()["id"]
    finish(client, run_id)
    history = client.get(f"/api/runs/{run_id}/history?max_points=200").json()
    assert history["points"] == 3001
    loss = history["series"]["train_loss"]
    assert len(loss["step"]) <= 202 and loss["step"][0] == 0 and loss["step"][-1] == 3000
    full = client.get(f"/api/runs/{run_id}/metrics").json()["metrics"]
    assert loss["value"][-1] == full[-1]["train_loss"] and min(loss["value"]) == min(r["train_loss"] for r in full)
    boundary = history["probes"]["decision_boundary"]
    assert boundary["step"] == 3000 and "points" in boundary["data"] and boundary["data"]["n"] == 64
