"""Random search: seeded log-uniform sampling, 422s that name the space path, and a sweep trained end to end."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.sweeps import Dimension, apply, axes, rank, sample
from tests.conftest import finish, run_config, wait_for


def _uniform_gap(xs: list[float], low: float, high: float) -> float:
    """Kolmogorov–Smirnov distance between the samples and uniform on [low, high]."""
    xs = sorted(xs)
    n = len(xs)
    return max(max((i + 1) / n - (x - low) / (high - low), (x - low) / (high - low) - i / n) for i, x in enumerate(xs))


def test_log_uniform_spreads_evenly_over_decades():
    space = {"lr": Dimension(log_uniform=(1e-4, 1e-1))}
    draws = [d["lr"] for d in sample(space, 4000, seed=7)]
    assert all(1e-4 <= x <= 1e-1 for x in draws)
    logs = [math.log10(x) for x in draws]
    assert _uniform_gap(logs, -4, -1) < 1.63 / math.sqrt(len(logs))  # KS at the 1% level
    # each of the three decades gets about a third; plain uniform sampling would give the top one ~90%
    assert all(abs(sum(lo <= v < lo + 1 for v in logs) / len(logs) - 1 / 3) < 0.04 for lo in (-4, -3, -2))
    linear = [d["lr"] for d in sample({"lr": Dimension(uniform=(1e-4, 1e-1))}, 4000, seed=7)]
    assert _uniform_gap([math.log10(x) for x in linear], -4, -1) > 0.3


@settings(max_examples=60, deadline=None)
@given(low_exp=st.floats(-8, 2), decades=st.floats(0.1, 6), seed=st.integers(0, 2**31 - 1))
def test_samples_are_in_range_and_seeded(low_exp, decades, seed):
    low, high = 10**low_exp, 10 ** (low_exp + decades)
    space = {"a": Dimension(log_uniform=(low, high)), "b": Dimension(int_uniform=(16, 64)),
             "c": Dimension(uniform=(0.8, 0.99)), "d": Dimension(choice=[[16], [32, 32]])}
    first = sample(space, 20, seed)
    assert first == sample(space, 20, seed)
    for d in first:
        # values keep four significant digits, so allow that rounding at the ends
        assert low * (1 - 1e-3) <= d["a"] <= high * (1 + 1e-3)
        assert 16 <= d["b"] <= 64 and isinstance(d["b"], int)
        assert 0.8 * (1 - 1e-3) <= d["c"] <= 0.99 * (1 + 1e-3)
        assert d["d"] in ([16], [32, 32])


def test_different_seeds_draw_differently():
    space = {"lr": Dimension(log_uniform=(1e-4, 1e-1))}
    assert sample(space, 8, 1) != sample(space, 8, 2)


def test_apply_sets_nested_values_and_switches_components():
    base = {"optimizer": {"name": "adam", "params": {"lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8}},
            "train": {"batch_size": 32}}
    raw = {"optimizer": {"name": "adam", "params": {"lr": 0.01}}}
    config = apply(base, raw, {"optimizer.params.betas.0": 0.8, "train.batch_size": 64}, lambda s, n: set())
    assert config["optimizer"]["params"]["betas"] == [0.8, 0.999] and config["train"]["batch_size"] == 64
    switched = apply(base, raw, {"optimizer.name": "sgd"}, lambda s, n: {"lr", "momentum"})
    assert switched["optimizer"] == {"name": "sgd", "params": {"lr": 0.01}}
    assert base["optimizer"]["params"]["betas"] == [0.9, 0.999]  # the base is not touched


def test_rank_and_axes():
    trials = [{"index": 0, "score": 0.5, "values": {"lr": 1e-3, "bs": 32}},
              {"index": 1, "score": None, "values": {"lr": 1e-2, "bs": 16}},
              {"index": 2, "score": 0.2, "values": {"lr": 1e-1, "bs": 64}}]
    assert [t["index"] for t in rank(trials, "val_loss")] == [2, 0, 1]
    assert [t["index"] for t in rank(trials, "val_acc")] == [0, 2, 1]
    space = {"lr": Dimension(log_uniform=(1e-4, 1e-1)), "bs": Dimension(choice=[16, 32, 64])}
    lr, bs, metric = axes(space, trials, "val_loss")
    assert lr["values"] == pytest.approx([-3, -1]) and lr["ticktext"] == ["1e-4", "1e-3", "1e-2", "1e-1"]
    assert bs["values"] == [1, 2] and bs["ticktext"] == ["16", "32", "64"] and metric["values"] == [0.5, 0.2]


@pytest.mark.parametrize("space, where", [
    ({"optimizer.params.lr": {"log_uniform": [0, 1e-1]}}, "optimizer.params.lr"),
    ({"optimizer.params.lr": {"log_uniform": [1e-1, 1e-4]}}, "optimizer.params.lr"),
    ({"optimizer.params.lr": {"uniform": [0.1, 0.2], "choice": [1]}}, "optimizer.params.lr"),
    ({"optimizer.params.lr": {"choice": []}}, "optimizer.params.lr"),
    ({"optimizer.params.nope": {"uniform": [0.1, 0.2]}}, "optimizer.params.nope"),
    ({"optimizer.params.betas.5": {"uniform": [0.1, 0.2]}}, "optimizer.params.betas.5"),
    ({"nothing.at.all": {"choice": [1]}}, "nothing.at.all"),
    # a range the setting itself refuses: caught on the sampled trials, blamed on the path
    ({"optimizer.params.lr": {"uniform": [-2, -1]}}, "optimizer.params.lr"),
    ({"train.batch_size": {"choice": [16, 0]}}, "train.batch_size"),
])
def test_a_bad_space_is_422_naming_the_path(client, space, where):
    response = client.post("/api/sweeps", json={"base": run_config(), "space": space, "trials": 6})
    assert response.status_code == 422, response.text
    assert any(e["loc"][:3] == ["body", "space", where] for e in response.json()["detail"]), response.text


def test_other_bad_requests(client):
    space = {"optimizer.params.lr": {"log_uniform": [1e-4, 1e-1]}}
    too_many = client.post("/api/sweeps", json={"base": run_config(), "space": space, "trials": 65})
    assert too_many.status_code == 422 and too_many.json()["detail"][0]["loc"] == ["body", "trials"]
    bad_base = client.post("/api/sweeps", json={"base": run_config(optimizer={"name": "nope"}), "space": space})
    assert bad_base.status_code == 422 and bad_base.json()["detail"][0]["loc"][:3] == ["body", "base", "optimizer"]
    assert client.get("/api/sweeps/nope").status_code == 404 and client.get("/sweeps/nope").status_code == 404


def _finish_sweep(client, sweep_id: str, timeout: float = 240) -> dict:
    return wait_for(lambda: not (r := client.get(f"/api/sweeps/{sweep_id}").json())["active"] and r, timeout, 0.2)


def test_a_sweep_trains_every_trial_and_ranks_the_lowest_val_loss_first(client):
    space = {"optimizer.params.lr": {"log_uniform": [1e-4, 1e-1]}, "train.batch_size": {"choice": [16, 32, 64]},
             "optimizer.params.betas.0": {"uniform": [0.8, 0.95]},
             "model.params.hidden_layers": {"choice": [[16], [32, 32]]}}
    body = {"name": "caviar", "base": run_config(train={"steps": 30}), "space": space, "trials": 4, "seed": 3,
            "sampler": "random", "pruner": "none"}
    created = client.post("/api/sweeps", json=body)
    assert created.status_code == 201, created.text
    sweep_id, first = created.json()["id"], created.json()["run_ids"]
    assert len(first) == 2  # as many as the pool runs at once; the others are drawn as trials end
    result = _finish_sweep(client, sweep_id)
    assert len(result["trials"]) == 4 and (result["sampler"], result["pruner"], result["planned"]) == ("random",
                                                                                                       "none", 4)
    assert sorted(t["number"] for t in result["trials"]) == [0, 1, 2, 3]
    runs = {t["run_id"]: finish(client, t["run_id"]) for t in result["trials"]}
    assert all(r["status"] == "completed" for r in runs.values()) and set(first) <= set(runs)
    for t in result["trials"]:  # each run trained the values its trial drew, inside the space
        config, values = runs[t["run_id"]]["config"], t["values"]
        assert 1e-4 * 0.999 <= values["optimizer.params.lr"] <= 0.1 * 1.001
        assert config["optimizer"]["params"]["lr"] == values["optimizer.params.lr"]
        assert config["optimizer"]["params"]["betas"][0] == values["optimizer.params.betas.0"]
        assert config["model"]["params"]["hidden_layers"] == values["model.params.hidden_layers"] in ([16], [32, 32])
        assert config["train"]["batch_size"] == values["train.batch_size"] in (16, 32, 64)
        assert config["train"]["steps"] == 30 and t["final"] == runs[t["run_id"]]["summary"]["val_loss"]

    lowest = min(runs.values(), key=lambda r: r["summary"]["best_val_loss"])
    assert result["trials"][0]["run_id"] == lowest["id"] == result["best"]["run_id"]
    assert [t["score"] for t in result["trials"]] == sorted(r["summary"]["best_val_loss"] for r in runs.values())
    assert result["best"]["config"] == lowest["config"]

    figures = client.get(f"/api/sweeps/{sweep_id}/figures").json()
    history = figures["history"]["data"][0]  # Optuna's optimization history: one point per finished trial
    assert sorted(history["y"]) == pytest.approx(sorted(t["score"] for t in result["trials"]))
    importances = figures["importances"]["data"][0]
    assert sorted(importances["y"]) == sorted(space) or figures["why"]

    page = client.get(f"/sweeps/{sweep_id}")
    assert page.status_code == 200 and 'id="parcoords"' in page.text and "hx-trigger" not in page.text
    assert page.text.count("data-trial=") == 4 and "/?config=" in page.text
    assert 'id="optuna-history"' in page.text and 'id="optuna-importances"' in page.text


@pytest.mark.parametrize("change, loc, words", [
    ({"sampler": "annealing"}, ["body", "sampler"], "choose one of: random, tpe, grid, qmc, cmaes"),
    ({"pruner": "patience"}, ["body", "pruner"], "choose one of: none, median, successive_halving, hyperband"),
    ({"space": {}}, ["body", "space"], "at least 1"),
    ({"sampler": "grid", "trials": 8, "space": {"train.batch_size": {"choice": [16, 32, 64]},
                                                "optimizer.params.lr": {"choice": [0.1, 0.01, 0.001]}}},
     ["body", "space"], "3 × 3 = 9 points, more than the 8 trials"),
    ({"sampler": "grid"}, ["body", "space", "optimizer.params.lr"], "a grid takes choice or int_uniform"),
    ({"space": {"optimizer.params.momentum": {"uniform": [0, 1]}}}, ["body", "space", "optimizer.params.momentum"],
     "no setting 'momentum'"),
])
def test_a_bad_search_is_422_naming_the_field(client, change, loc, words):
    body = {"base": run_config(), "space": {"optimizer.params.lr": {"log_uniform": [1e-4, 1e-1]}}, "trials": 6,
            **change}
    response = client.post("/api/sweeps", json=body)
    assert response.status_code == 422, response.text
    assert any(e["loc"] == loc and words in e["msg"] for e in response.json()["detail"]), response.text


def test_the_new_sweep_form_starts_from_the_link_config(client):
    from app.links import encode_config

    page = client.get("/sweeps/new", params={"config": encode_config(run_config(optimizer={"name": "sgd"}))})
    assert page.status_code == 200 and '"sgd"' in page.text and 'value="optimizer.params.lr"' in page.text
    assert 'value="1e-4, 1e-1"' in page.text
    assert "could not be used" in client.get("/sweeps/new", params={"config": "garbage"}).text

