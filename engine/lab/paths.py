"""Optimizer paths on a 2-D surface: the registry's optimizers (the same code that trains networks) over one
2-element parameter, step by step from a start point."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.config import ConfigError, Spec
from engine.lab.surfaces import surfaces
from engine.lazy import torch
from engine.optimizers import optimizers
from engine.registry import Params

log = logging.getLogger(__name__)
MAX_STEPS = 5000
FAR = 1e6  # a point this far out has left every view box for good: the path ends there as diverged

Coordinate = float


class PathRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    surface: str = Field(min_length=1, max_length=64)
    start: tuple[float, float] | None = Field(None, description="[x, y]; null = the surface's default start")
    steps: int | None = Field(None, ge=1, le=MAX_STEPS, description="optimizer steps; null = the surface's default")
    optimizers: list[Spec] = Field(min_length=1, max_length=12)
    noise: float = Field(0.0, ge=0.0, le=1000.0, description="σ of Gaussian noise added to each gradient component, "
                         "drawn once per step (a stochastic gradient); 0 = the exact gradient")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="seed of the noise: every optimizer sees the same draws")


@dataclass
class OptimizerPath:
    name: str
    params: dict[str, Any]
    path: list[list[float]] = field(default_factory=list)  # path[0] is the start, path[i] after step i
    loss: list[float] = field(default_factory=list)  # f at each point of the path
    diverged: bool = False


def _error(loc: tuple, msg: str) -> dict[str, Any]:
    return {"loc": list(loc), "msg": msg, "type": "value_error"}


def parse(request: PathRequest) -> list[tuple[str, Params]]:
    """Check the surface, the start and every optimizer spec; raise ConfigError naming each bad field."""
    errors: list[dict[str, Any]] = []
    if request.surface not in surfaces:
        errors.append(_error(("surface",), f"unknown surface '{request.surface}'; choose one of: "
                                            f"{', '.join(surfaces.names())}"))
    if request.start is not None and not all(math.isfinite(c) and abs(c) < FAR for c in request.start):
        errors.append(_error(("start",), f"start must be two finite numbers within ±{FAR:g}"))
    chosen = []
    for i, spec in enumerate(request.optimizers):
        if spec.name not in optimizers:
            errors.append(_error(("optimizers", i, "name"), f"unknown optimizer '{spec.name}'; choose one of: "
                                                             f"{', '.join(optimizers.names())}"))
            continue
        try:
            chosen.append((spec.name, optimizers[spec.name].params.model_validate(spec.params)))
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                errors.append({"loc": ["optimizers", i, "params", *err["loc"]], "msg": err["msg"], "type": err["type"]})
    if errors:
        raise ConfigError(errors)
    return chosen


def optimizer_path(surface: str, start: tuple[float, float], name: str, params: Params, steps: int,
                   noise: float = 0.0, seed: int = 0) -> OptimizerPath:
    """Run optimizer `name` for `steps` steps on `surface`; a non-finite or runaway point ends the path.
    With `noise` σ, each step's gradient is g + σz, z ~ N(0, I) drawn once per step from `seed`."""
    f = surfaces[surface].build
    # float64: long paths near a minimum stay smooth instead of jittering at float32's resolution
    point = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = optimizers[name].build(params, [point])
    generator = torch.Generator().manual_seed(seed)
    kick = torch.zeros(2, dtype=torch.float64)

    def closure() -> torch.Tensor:
        optimizer.zero_grad(set_to_none=True)
        loss = f(point[0], point[1])
        loss.backward()
        if noise:
            point.grad += kick  # the same draw for every evaluation within a step (L-BFGS evaluates several)
        return loss

    result = OptimizerPath(name, params.model_dump(mode="json"))
    with torch.no_grad():
        result.path.append(point.tolist())
        result.loss.append(f(point[0], point[1]).item())
    for _ in range(steps):
        if noise:
            kick = noise * torch.randn(2, generator=generator, dtype=torch.float64)
        optimizer.step(closure)  # L-BFGS calls the closure several times per step; the others once
        with torch.no_grad():
            x, y = point.tolist()
            value = f(point[0], point[1]).item()
        if not all(math.isfinite(v) for v in (x, y, value)) or max(abs(x), abs(y)) > FAR:
            result.diverged = True
            break
        result.path.append([x, y])
        result.loss.append(value)
    return result


def run_paths(request: PathRequest) -> list[OptimizerPath]:
    """Every optimizer of the request from the same start for the same number of steps."""
    chosen = parse(request)
    meta = surfaces[request.surface].meta
    start = request.start or tuple(meta["start"])
    steps = request.steps or meta["steps"]
    log.debug("paths on %s from %s for %d steps: %s", request.surface, start, steps, [n for n, _ in chosen])
    return [optimizer_path(request.surface, start, name, params, steps, request.noise, request.seed)
            for name, params in chosen]
