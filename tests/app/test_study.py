"""The Optuna layer of sweeps: every sampler and pruner builds, the space maps to Optuna and back, grids are
checked, and the study lives in the app's own database beside the app's tables."""

from __future__ import annotations

import math

import optuna
import pytest

from app import study, sweep_study
from app.store import Base, Store
from app.sweeps import Dimension

SPACE = {"optimizer.params.lr": Dimension(log_uniform=(1e-4, 1e-1)), "train.batch_size": Dimension(choice=[16, 64]),
         "model.params.hidden_layers": Dimension(choice=[[16], [32, 32]]),
         "optimizer.params.betas.0": Dimension(uniform=(0.8, 0.95)),
         "model.params.depth": Dimension(int_uniform=(1, 3))}


@pytest.mark.parametrize("name", study.SAMPLERS.names())
def test_every_sampler_draws_values_inside_the_space(name):
    space = {p: d for p, d in SPACE.items() if p != "optimizer.params.betas.0"} if name == "grid" else SPACE
    space = {**space, "optimizer.params.lr": Dimension(choice=[1e-3, 1e-2])} if name == "grid" else space
    sampler = study.SAMPLERS[name].build(space, 3, 16)
    s = optuna.create_study(sampler=sampler)
    distributions = {p: study.distribution(d) for p, d in space.items()}
    for _ in range(12):
        trial = s.ask(distributions)
        values = {p: study.decode(d, trial.params[p]) for p, d in space.items()}
        lr = values["optimizer.params.lr"]
        assert 1e-4 * 0.999 <= lr <= 0.1 * 1.001
        assert values["train.batch_size"] in (16, 64) and values["model.params.hidden_layers"] in ([16], [32, 32])
        assert values["model.params.depth"] in (1, 2, 3) and isinstance(values["model.params.depth"], int)
        s.tell(trial, math.log10(lr) ** 2)


def test_a_grid_visits_every_point_once():
    space = {"train.batch_size": Dimension(choice=[16, 64]), "model.params.hidden_layers": Dimension(choice=[[8], [4]]),
             "model.params.depth": Dimension(int_uniform=(1, 3))}
    assert study.check(space, "grid", 12) == []
    s = optuna.create_study(sampler=study.SAMPLERS["grid"].build(space, 0, 12))
    seen = set()
    for _ in range(12):
        trial = s.ask({p: study.distribution(d) for p, d in space.items()})
        seen.add(tuple(str(study.decode(d, trial.params[p])) for p, d in space.items()))
        s.tell(trial, 0.0)
    assert len(seen) == 12


def test_grid_errors_name_the_field():
    continuous = study.check({"optimizer.params.lr": Dimension(log_uniform=(1e-4, 1e-1))}, "grid", 8)
    assert continuous[0]["loc"] == ["body", "space", "optimizer.params.lr"] and "choice" in continuous[0]["msg"]
    big = study.check({"a.b": Dimension(choice=[1, 2, 3]), "c.d": Dimension(int_uniform=(1, 3))}, "grid", 8)
    assert big[0]["loc"] == ["body", "space"] and "3 × 3 = 9 points" in big[0]["msg"]
    assert study.check({"a.b": Dimension(uniform=(0, 1))}, "tpe", 8) == []


@pytest.mark.parametrize("name", study.PRUNERS.names())
def test_every_pruner_builds_and_names_its_reason(name):
    pruner = study.PRUNERS[name].build(400, 10)
    assert isinstance(pruner, optuna.pruners.BasePruner)
    if name != "none":
        assert study.reason(name, 120, "val_loss", 0.61234).startswith(f"pruned at step 120 by the {name} pruner: "
                                                                          "val_loss 0.6123 is ")


def test_a_median_pruner_prunes_the_worst_curve():
    s = optuna.create_study(pruner=study.PRUNERS["median"].build(100, 10))
    for level in (1.0, 1.1, 1.2, 1.3):
        trial = s.ask()
        for step in range(10, 101, 10):
            trial.report(level / step, step)
        s.tell(trial, level / 100)
    bad = s.ask()
    pruned_at = None
    for step in range(10, 101, 10):
        bad.report(5.0, step)
        if bad.should_prune():
            pruned_at = step
            break
    assert pruned_at == 10  # n_warmup_steps = total // 10 = 10: the first verdict, and it prunes


def test_the_objective_is_the_best_value_then_the_last():
    assert study.objective({"best_val_loss": 0.2, "val_loss": 0.3}, "val_loss", None) == 0.2
    assert study.objective({"val_acc": 0.9}, "val_acc", None) == 0.9
    assert study.objective({"best_val_loss": None, "val_loss": float("nan")}, "val_loss", 0.5) == 0.5
    assert study.objective({}, "val_loss", None) is None


def test_the_study_shares_the_apps_database_and_survives_a_reopen(database_url):
    url = database_url  # SQLite and PostgreSQL
    Store(url)
    first = optuna.create_study(study_name="s1", storage=sweep_study.storage(url), direction="minimize")
    trial = first.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    trial.report(0.5, 10)
    first.tell(trial, 0.25)
    store = Store(url)  # the app starting again on the same database: its schema step must accept Optuna's tables
    store.list_runs()
    sweep_study.storage.cache_clear()
    again = optuna.load_study(study_name="s1", storage=sweep_study.storage(url))
    assert again.best_value == 0.25 and again.trials[0].intermediate_values == {10: 0.5}
    assert not {"studies", "trials"} & set(Base.metadata.tables)  # Optuna's tables stay out of the app's metadata


def test_the_catalog_and_the_sweep_form_list_every_sampler_and_pruner(client):
    catalog = client.get("/api/catalog").json()
    assert [e["name"] for e in catalog["samplers"]] == study.SAMPLERS.names()
    assert [e["name"] for e in catalog["pruners"]] == study.PRUNERS.names()
    assert any(e["name"] == "pruned" and e["terminal"] for e in catalog["statuses"])
    form = client.get("/sweeps/new").text
    assert all(f'<option value="{name}"' in form for name in study.SAMPLERS.names() + study.PRUNERS.names())
