"""Loss landscapes of a finished run (Li et al. 2018): the 1-D interpolation from θ_init to θ_final, and 2-D
slices around θ_final along filter-normalized random directions or the top-2 PCA directions of its path."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.func import functional_call

from engine import checkpoint, datasets, devices
from engine.config import RunConfig, resolve
from engine.control import Action, Control
from engine.events import Done, Event, Metrics, Probe, Status
from engine.lab import PROGRESS_STEPS
from engine.lab.curvature import curvature
from engine.lab.points import PointBatch
from engine.losses import Objective, losses
from engine.networks import networks
from engine.trainer import build_model, train

log = logging.getLogger(__name__)
KINDS = ("interpolation", "random", "pca")
ALPHA_RANGE = (-0.5, 1.5)
PATH_POINTS = 50  # trajectory snapshots kept for PCA
Progress = Callable[[float], None]
State = dict[str, torch.Tensor]


class Stopped(Exception):
    """The job was told to stop (or the retrain reached the checkpoint's step)."""


@dataclass
class Setting:
    """What every landscape needs: the model (for its forward), the loss, a fixed data subset, θ_init."""

    model: nn.Module
    objective: Objective
    x: torch.Tensor
    y: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    init: State
    batchable: bool = False  # the network's entry says it has batched forms: many grid points per forward

    @torch.no_grad()
    def loss(self, state: State, val: bool = False) -> float:
        x, y = (self.x_val, self.y_val) if val else (self.x, self.y)
        out = functional_call(self.model, state, (x,))
        return float(self.objective.fn(out, self.objective.prepare(y)))


def setting(config: RunConfig, samples: int, device: torch.device | None = None) -> Setting:
    """Rebuild data, loss and the initial model in the trainer's order, so θ_init is the run's own."""
    plan = resolve(config)
    device = device or devices.pick(config.train.device)
    torch.manual_seed(config.train.seed)
    data = datasets.load(plan.names["dataset"], plan.params["dataset"], config.train.seed).to(device)
    objective = losses[plan.names["loss"]].build(plan.params["loss"], plan.info)
    model = build_model(plan, objective).to(device).eval()
    init = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return Setting(model, objective, data.x_train[:samples], data.y_train[:samples],
                   data.x_val[:samples], data.y_val[:samples], init,
                   networks[plan.names["model"]].meta.get("batchable", False))


def interpolation(s: Setting, final: State, n: int = 25, progress: Progress | None = None) -> dict[str, Any]:
    """Loss along θ(α) = (1−α)·θ_init + α·θ_final; float buffers (BN statistics) are interpolated too."""
    grid = torch.linspace(*ALPHA_RANGE, n).tolist()
    alphas = sorted({round(a, 6) + 0.0 for a in grid} | {0.0, 1.0})  # the two ends are always on the curve
    train_loss, val_loss = [], []
    for i, alpha in enumerate(alphas):
        state = {k: (1 - alpha) * v + alpha * final[k] if v.is_floating_point() else final[k]
                 for k, v in s.init.items()}
        train_loss.append(s.loss(state))
        val_loss.append(s.loss(state, val=True))
        if progress:
            progress((i + 1) / len(alphas))
    return {"kind": "interpolation", "alphas": alphas, "train_loss": train_loss, "val_loss": val_loss,
            "init_loss": train_loss[alphas.index(0.0)], "final_loss": train_loss[alphas.index(1.0)]}


def filter_normalized(final: State, names: list[str], generator: torch.Generator) -> State:
    """A Gaussian direction with each filter (row of a weight) rescaled to that filter's norm in θ;
    biases and BN parameters (1-D tensors) get a zero direction, as the paper's "ignore" option."""
    direction = {}
    for name in names:
        theta = final[name]
        if theta.dim() <= 1:
            direction[name] = torch.zeros_like(theta)
            continue
        d = torch.randn(theta.shape, generator=generator).to(theta)
        rows, d_rows = theta.reshape(len(theta), -1), d.reshape(len(d), -1)
        scale = rows.norm(dim=1, keepdim=True) / (d_rows.norm(dim=1, keepdim=True) + 1e-10)
        direction[name] = (d_rows * scale).reshape(theta.shape)
    return direction


def flatten(state: State, names: list[str]) -> torch.Tensor:
    return torch.cat([state[k].reshape(-1).float() for k in names])


def unflatten(vector: torch.Tensor, like: State, names: list[str]) -> State:
    out, i = {}, 0
    for k in names:
        out[k] = vector[i : i + like[k].numel()].reshape(like[k].shape).to(like[k])
        i += like[k].numel()
    return out


def trajectory(config: RunConfig, last_step: int, control: Control | None = None,
               progress: Progress | None = None) -> list[tuple[int, State]]:
    """Re-train the run (deterministic: same config and seed, same path) keeping ~PATH_POINTS snapshots."""
    if config.start_from is not None:
        raise ValueError("PCA needs to re-train the run, and this run started from another run's checkpoint")
    every = max(1, last_step // PATH_POINTS)
    config = config.model_copy(update={"train": config.train.model_copy(update={"checkpoint_every": every})})
    snapshots: list[tuple[int, State]] = []

    def save(step: int, state: dict) -> None:
        if step <= last_step:
            snapshots.append((step, state["model"]))
        if step >= last_step:
            raise Stopped  # a stopped run's checkpoint is its end: no need to train past it

    def emit(event: Event) -> None:
        if isinstance(event, Metrics) and progress:
            progress(min(1.0, event.step / max(1, last_step)))

    try:
        done = train(config, emit, control, save=save)
    except Stopped:
        return snapshots
    if done.status == "stopped":
        raise Stopped
    log.warning("the retrain ended (%s) before step %d; its path ends elsewhere", done.status, last_step)
    return snapshots


def pca_directions(path: list[State], final: State, names: list[str]) -> tuple[State, State, list[float], torch.Tensor]:
    """Top-2 right singular vectors of the matrix of (θ_t − θ_final); returns them, the share of variance
    each explains, and the path's coordinates on their plane."""
    centre = flatten(final, names)
    # the path's snapshots come from checkpoints, which live on the host; the centre lives where the model does
    matrix = torch.stack([flatten(state, names).to(centre.device) - centre for state in path])
    _, singular, vh = torch.linalg.svd(matrix, full_matrices=False)
    basis = vh[:2]
    if len(basis) < 2:  # a one-snapshot path: fill the plane with any orthogonal direction
        basis = torch.cat([basis, torch.zeros_like(basis)])
        basis[1, 0 if basis[0, 0].abs() < 0.9 else 1] = 1.0
        basis[1] -= (basis[1] @ basis[0]) * basis[0]
        basis[1] /= basis[1].norm()
    variance = (singular**2 / (singular**2).sum()).tolist()[:2]
    coordinates = matrix @ basis.T
    return unflatten(basis[0], final, names), unflatten(basis[1], final, names), variance, coordinates


def surface(s: Setting, final: State, d1: State, d2: State, xs: list[float], ys: list[float],
            progress: Progress | None = None, control: Control | None = None,
            batched: bool | None = None) -> list[list[float | None]]:
    """loss[j][i] at θ_final + xs[i]·d1 + ys[j]·d2 (rows by y, as a Plotly contour's z). `batched` evaluates many
    points per forward (engine/lab/points.py), else one at a time; by default it does on a GPU, for a network with
    batched forms (on a CPU the one-at-a-time way measured faster: bench/landscape.py)."""
    if batched is None:
        batched = s.batchable and s.x.device.type != "cpu"
    batch = PointBatch(s.model, final, d1, d2, len(s.x)) if batched else None
    y_true = s.objective.prepare(s.y)
    grid = []
    for j, y in enumerate(ys):
        if control is not None and control.checkpoint(lambda event: None) is Action.STOP:
            raise Stopped
        if batch is not None:
            row = []
            for i in range(0, len(xs), batch.size):
                row += batch.losses([(x, y) for x in xs[i : i + batch.size]], s.x, y_true, s.objective.fn)
        else:
            row = [s.loss({k: v + x * d1[k] + y * d2[k] if k in d1 else v for k, v in final.items()}) for x in xs]
        grid.append([loss if math.isfinite(loss) else None for loss in row])
        if progress:
            progress((j + 1) / len(ys))
    return grid


def landscape(config: RunConfig, final: State, last_step: int, kind: str, n: int = 25, span: float = 1.0,
              samples: int = 512, seed: int = 0, control: Control | None = None,
              progress: Progress | None = None, batched: bool | None = None) -> dict[str, Any]:
    """One landscape of a run whose last checkpoint holds `final` (a model state_dict at `last_step`); `batched`
    as surface() takes it."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    s = setting(config, samples)
    final = {k: v.to(s.x.device) for k, v in final.items()}
    names = [k for k, p in s.model.named_parameters()]
    if kind == "interpolation":
        return interpolation(s, final, n, progress)
    grid_progress = progress
    path, info = None, {"kind": kind}
    if kind == "random":
        generator = torch.Generator().manual_seed(seed)
        d1, d2 = filter_normalized(final, names, generator), filter_normalized(final, names, generator)
        half_x = half_y = span
        info.update(seed=seed, normalization="filter", ignored="biases and BN parameters")
    else:
        half = (lambda f: progress(0.5 * f)) if progress else None
        snapshots = [(0, s.init), *trajectory(config, last_step, control, half)]
        d1, d2, variance, coordinates = pca_directions([st for _, st in snapshots], final, names)
        info.update(explained_variance=variance,
                    end_distance=float(coordinates[-1].norm()))  # ~0 when the retrain reproduced the run
        path = {"x": coordinates[:, 0].tolist(), "y": coordinates[:, 1].tolist(), "steps": [st for st, _ in snapshots]}
        # the grid covers the path with a margin; span scales it
        half_x = span * 1.2 * float(coordinates[:, 0].abs().max().clamp_min(1e-3))
        half_y = span * 1.2 * float(coordinates[:, 1].abs().max().clamp_min(1e-3))
        grid_progress = (lambda f: progress(0.5 + 0.5 * f)) if progress else None
    xs = torch.linspace(-half_x, half_x, n).tolist()
    ys = torch.linspace(-half_y, half_y, n).tolist()
    loss = surface(s, final, d1, d2, xs, ys, grid_progress, control, batched)
    return {"kind": kind, "xs": xs, "ys": ys, "loss": loss, "path": path, "directions": info,
            "centre_loss": s.loss(final), "curvature": curvature(loss, xs, ys)}


def run_job(payload: dict[str, Any], emit: Callable[[Event], None], control: Control, checkpoint_root: str) -> None:
    """The worker's "landscape" job ({config, parent, step, landscape: {kind, n, span, samples, seed}}):
    progress as metrics {"progress": f}, the result as probe "landscape"."""
    started = time.perf_counter()
    config = RunConfig.model_validate(payload["config"])
    parent, step, asked = payload["parent"], payload["step"], payload["landscape"]
    final = checkpoint.read(checkpoint_root, parent, step)["model"]
    emit(Status("running", f"computing a {asked['kind']} landscape of run {parent}", {"total_steps": PROGRESS_STEPS}))
    shown = [-1]

    def progress(fraction: float) -> None:
        point = int(fraction * PROGRESS_STEPS)
        if point > shown[0]:  # one event per hundredth at most
            shown[0] = point
            emit(Metrics(point, 0.0, round(time.perf_counter() - started, 4), {"progress": fraction}))

    try:
        result = landscape(config, final, step, asked["kind"], asked["n"], asked["span"], asked["samples"],
                           asked.get("seed", 0), control, progress)
    except Stopped:
        emit(Status("stopped", "stopped before the landscape was complete"))
        emit(Done("stopped", {}))
        return
    result.update(parent=parent, step=step, **{k: asked[k] for k in ("n", "span", "samples")})
    emit(Probe(step, "landscape", result))
    seconds = round(time.perf_counter() - started, 3)
    emit(Done("completed", {"seconds": seconds, "kind": asked["kind"], "parent": parent}))
