"""Optuna's side of a sweep: samplers and pruners by name (registries: the catalog and the sweep form list
them), the space as Optuna distributions, grids, and how a trial's end reads to its study. Where the study is
kept: app/sweep_study.py."""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from app.sweeps import Dimension
from engine.lazy import lazy
from engine.registry import Registry

# loaded when a sweep first needs it: the catalog and the sweep form read only the registries (0.1-0.2 s of start-up)
optuna = lazy("optuna")
log = logging.getLogger(__name__)

SAMPLERS = Registry("sampler")
PRUNERS = Registry("pruner")
PRIMITIVE = (type(None), bool, int, float, str)  # what an Optuna categorical holds; other choices travel as JSON


# -- samplers: build(space, seed, trials) -> optuna sampler -----------------------------------------------------
@SAMPLERS.add("random", description="independent draws; the baseline every other sampler must beat",
              formula=r"\theta_i \sim p(\theta)\ \text{independently}")
def _random(space: dict[str, Dimension], seed: int, trials: int) -> optuna.samplers.BaseSampler:
    return optuna.samplers.RandomSampler(seed=seed)


@SAMPLERS.add("tpe", description="tree-structured Parzen estimator: after a few random trials, draws where "
              "good trials cluster (Bergstra et al. 2011)",
              formula=r"\theta_{i} = \arg\max_\theta \frac{\ell(\theta)}{g(\theta)},\quad \ell: \text{density of the "
                      r"best } \gamma \text{ trials},\ g: \text{of the rest}")
def _tpe(space: dict[str, Dimension], seed: int, trials: int) -> optuna.samplers.BaseSampler:
    # Optuna's default of 10 random start-up trials is most of a small budget; a quarter of it, at least 4
    startup = min(10, max(4, trials // 4))
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup, multivariate=True, constant_liar=True)


@SAMPLERS.add("grid", description="every combination of the listed values, in a shuffled order", grid=True,
              formula=r"\theta \in \Theta_1 \times \cdots \times \Theta_k,\ \text{each point once}")
def _grid(space: dict[str, Dimension], seed: int, trials: int) -> optuna.samplers.BaseSampler:
    class Grid(optuna.samplers.GridSampler):
        def after_trial(self, study, trial, state, values) -> None:
            # Optuna's grid calls study.stop() on its last point, which only works inside study.optimize(); a
            # sweep asks and tells, and stops by itself after planned() trials
            pass

    return Grid({path: grid_values(dim) for path, dim in space.items()}, seed=seed)


@SAMPLERS.add("qmc", description="a scrambled Sobol sequence: covers the space more evenly than random draws",
              formula=r"\theta_i = F^{-1}(s_i),\quad s_i: \text{the } i\text{-th point of a scrambled Sobol "
                      r"sequence in } [0,1)^k")
def _qmc(space: dict[str, Dimension], seed: int, trials: int) -> optuna.samplers.BaseSampler:
    return optuna.samplers.QMCSampler(qmc_type="sobol", scramble=True, seed=seed, warn_independent_sampling=False,
                                      warn_asynchronous_seeding=False)


@SAMPLERS.add("cmaes", description="CMA-ES: adapts a Gaussian over the numeric settings (choices drawn at random)",
              formula=r"\theta_i \sim \mathcal{N}(m, \sigma^2 C),\quad m, \sigma, C "
                      r"\text{ moved toward the best trials}")
def _cmaes(space: dict[str, Dimension], seed: int, trials: int) -> optuna.samplers.BaseSampler:
    return optuna.samplers.CmaEsSampler(seed=seed, n_startup_trials=min(10, max(2, trials // 5)),
                                        warn_independent_sampling=False)


# -- pruners: build(total_steps, eval_every) -> optuna pruner; `why` is the reason a pruned trial shows ----------
@PRUNERS.add("none", description="every trial trains to its last step", why="", formula=r"\text{never prune}")
def _none(total_steps: int, eval_every: int) -> optuna.pruners.BasePruner:
    return optuna.pruners.NopPruner()


@PRUNERS.add("median", description="stops a trial whose validation is worse than the median of earlier trials at "
             "the same step", why="worse than the median of the earlier trials at this step",
             formula=r"\text{prune at } t \text{ if } \min_{s \le t} y_s > \operatorname{median}_j\, y^{(j)}_t")
def _median(total_steps: int, eval_every: int) -> optuna.pruners.BasePruner:
    # a verdict from the first reported point (step 0, the untrained model, is never reported: every trial starts
    # alike there) once four trials have completed: Optuna's five is a fifth of a 24-trial sweep
    return optuna.pruners.MedianPruner(n_startup_trials=4)


@PRUNERS.add("successive_halving", description="asynchronous successive halving: at each rung only the best third "
             "go on", why="not in the best third of the trials that reached this rung",
             formula=r"\text{rungs at } t_r = r_0 \eta^r;\ \text{at } t_r \text{ go on only in the best } "
                     r"1/\eta,\ \eta = 3")
def _halving(total_steps: int, eval_every: int) -> optuna.pruners.BasePruner:
    return optuna.pruners.SuccessiveHalvingPruner(min_resource=_min_resource(total_steps, eval_every),
                                                  reduction_factor=3)


@PRUNERS.add("hyperband", description="Hyperband: successive halving in several brackets, from aggressive to "
             "patient (Li et al. 2018)", why="not in the best third of its Hyperband bracket at this rung",
             formula=r"\text{brackets } b = 0..s,\ \text{each successive halving with } r_0 = R\, \eta^{b-s}")
def _hyperband(total_steps: int, eval_every: int) -> optuna.pruners.BasePruner:
    return optuna.pruners.HyperbandPruner(min_resource=_min_resource(total_steps, eval_every),
                                          max_resource=total_steps, reduction_factor=3)


def _min_resource(total_steps: int, eval_every: int) -> int:
    # rungs at 1/27, 1/9, 1/3 of the run (four brackets); never before the first validation point after step 0
    return max(1, eval_every, total_steps // 27)


def check_name(registry: Registry, name: str) -> str:
    """A pydantic validator's body: a known name, or a ValueError listing the known ones (a 422 on the field)."""
    if name not in registry:
        raise ValueError(f"unknown {registry.kind} '{name}'; choose one of: {', '.join(registry.names())}")
    return name


# -- the space ---------------------------------------------------------------------------------------------------
def distribution(dim: Dimension) -> optuna.distributions.BaseDistribution:
    kinds = optuna.distributions
    if dim.log_uniform:
        return kinds.FloatDistribution(*dim.log_uniform, log=True)
    if dim.uniform:
        return kinds.FloatDistribution(*dim.uniform)
    if dim.int_uniform:
        return kinds.IntDistribution(*dim.int_uniform)
    return kinds.CategoricalDistribution([_encode(c) for c in dim.choice])


def _encode(choice: Any) -> Any:
    return choice if isinstance(choice, PRIMITIVE) else json.dumps(choice)


def decode(dim: Dimension, param: Any) -> Any:
    """The setting's value for Optuna's parameter: a choice back to its JSON value, a float to 4 digits."""
    if dim.choice is not None:
        return next(c for c in dim.choice if _encode(c) == param)
    if dim.int_uniform:
        return int(param)
    # four significant digits read well in a table and move a sample by under 0.05%
    return float(f"{param:.4g}")


def grid_values(dim: Dimension) -> list[Any]:
    if dim.choice is not None:
        return [_encode(c) for c in dim.choice]
    if dim.int_uniform:
        return list(range(dim.int_uniform[0], dim.int_uniform[1] + 1))
    raise ValueError("a grid takes choice or int_uniform values; list the values to try as a choice")


def planned(space: dict[str, Dimension], sampler: str, trials: int) -> int:
    """How many trials the sweep runs: a grid's points (never more than `trials`, see check), else `trials`."""
    return math.prod(len(grid_values(d)) for d in space.values()) if SAMPLERS[sampler].meta.get("grid") else trials


def check(space: dict[str, Dimension], sampler: str, trials: int) -> list[dict[str, Any]]:
    """Errors (pydantic's shape, loc from "body") of a space for a sampler; empty when it is fine."""
    if not SAMPLERS[sampler].meta.get("grid"):
        return []
    errors, points = [], 1
    for path, dim in space.items():
        try:
            points *= len(grid_values(dim))
        except ValueError as exc:
            errors.append({"loc": ["body", "space", path], "msg": str(exc), "type": "value_error"})
    if not errors and points > trials:
        sizes = " × ".join(str(len(grid_values(d))) for d in space.values())
        errors.append({"loc": ["body", "space"], "type": "value_error",
                       "msg": f"the grid has {sizes} = {points} points, more than the {trials} trials allowed; "
                              "list fewer values or raise trials"})
    return errors


# -- the study ---------------------------------------------------------------------------------------------------
def direction(metric: str) -> str:
    return "maximize" if metric == "val_acc" else "minimize"


def reason(pruner: str, step: int, metric: str, value: float) -> str:
    return f"pruned at step {step} by the {pruner} pruner: {metric} {value:.4g} is {PRUNERS[pruner].meta['why']}"


def objective(summary: dict[str, Any] | None, metric: str, last: float | None) -> float | None:
    """The value a finished trial tells the study: the run's best value of the metric, else its last reading."""
    summary = summary or {}
    for value in (summary.get(f"best_{metric}"), summary.get(metric), last):
        if isinstance(value, (int, float)) and math.isfinite(value):
            return float(value)
    return None
