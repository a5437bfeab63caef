"""The fair race: members train on the same data, from the same initial weights, over the same batch order.

Members whose networks are the same plain MLP train together in one process: one batched forward and
backward over a member axis (bmm), and each member's weights are one flat leaf tensor with its own optimizer
(a flat leaf makes each optimizer step one tensor op, not one per layer). Other races run as separate runs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from engine import datasets, devices
from engine.cadence import Cadence
from engine.config import Plan, RunConfig, resolve
from engine.control import Action, Control
from engine.events import Done, Event, Metrics, Status
from engine.losses import losses
from engine.networks.activations import activations
from engine.optimizers import optimizers
from engine.schedules import build_factor
from engine.trainer import EVAL_CHUNK, TRAIN_EVAL_SAMPLES, BatchOrder, build_model
from engine.validation import grid

BATCHED_NETWORKS = ("mlp", "perceptron")
SHARED = ("dataset", "loss", "regularization")  # what the batched path needs equal across members


def batching_obstacle(plans: list[Plan]) -> str | None:
    """Why these members cannot train batched (None when they can); the UI shows the reason."""
    first = plans[0]
    for i, plan in enumerate(plans):
        config, model = plan.config, plan.params["model"]
        if plan.names["model"] not in BATCHED_NETWORKS:
            return f"member {i + 1}: network '{plan.names['model']}' has no batched form"
        if getattr(model, "norm", "none") != "none":
            return f"member {i + 1}: norm layers keep weights and statistics per member"
        if any(True for _ in _activation(plan).parameters()):
            return f"member {i + 1}: its activation learns a parameter in each layer"
        if plan.names["optimizer"] == "lbfgs" or plan.names["schedule"] == "plateau":
            return f"member {i + 1}: {plan.names['optimizer']}/{plan.names['schedule']} needs its own loop"
        if "regularization" in plan.names:
            return f"member {i + 1}: explicit penalties run per model"
        t = config.train
        if (t.augment or t.mixup_alpha or t.manifold_mixup_alpha or t.clip_grad_norm or t.clip_grad_value
                or t.early_stopping or config.start_from):
            return f"member {i + 1}: training tricks run per model"
        same_shape = (plan.names["model"] == first.names["model"]
                      and getattr(model, "hidden_layers", None) == getattr(first.params["model"], "hidden_layers", None)
                      and getattr(model, "dropout", 0) == getattr(first.params["model"], "dropout", 0))
        if not same_shape:
            return f"member {i + 1}: its network has another shape than member 1's"
        for section in SHARED:
            theirs = (plan.names.get(section), plan.params.get(section))
            if theirs != (first.names.get(section), first.params.get(section)):
                return f"member {i + 1}: its {section} differs from member 1's"
        if (plan.batch_size, plan.total_steps, t.eval_every, t.seed) != (
                first.batch_size, first.total_steps, first.config.train.eval_every, first.config.train.seed):
            return f"member {i + 1}: batch size, steps, eval_every and seed must match to share batches"
    return None


@dataclass
class Member:
    plan: Plan
    emit: Callable[[Event], None]
    flat: torch.Tensor  # every weight of the member in one leaf
    activation: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
    moves: bool  # the schedule changes the lr
    status: str = "completed"
    message: str = ""
    last: dict = field(default_factory=dict)
    best: tuple[float, int] = (math.inf, 0)


def _layout(model: nn.Module) -> list[tuple[slice, tuple[int, int], slice]]:
    """Where each Linear's weight and bias sit in the flat vector."""
    layout, offset = [], 0
    for layer in (m for m in model.modules() if isinstance(m, nn.Linear)):
        w = layer.weight.numel()
        bias = slice(offset + w, offset + w + layer.out_features)
        layout.append((slice(offset, offset + w), tuple(layer.weight.shape), bias))
        offset += w + layer.out_features
    return layout


def _flatten(model: nn.Module, device: torch.device) -> torch.Tensor:
    """The member's weights as one leaf on `device` (made there: a leaf moved after would not be a leaf)."""
    parts = []
    for layer in (m for m in model.modules() if isinstance(m, nn.Linear)):
        parts += [layer.weight.detach().flatten(), layer.bias.detach()]
    return torch.cat(parts).to(device, copy=True).requires_grad_(True)


def _activation(plan: Plan) -> nn.Module:
    return activations[getattr(plan.params["model"], "activation", "identity")].build()


def race(configs: list[RunConfig], emits: list[Callable[[Event], None]], control: Control | None = None) -> list[Done]:
    plans = [resolve(c) for c in configs]
    obstacle = batching_obstacle(plans)
    if obstacle:
        raise ValueError(f"these members cannot train batched: {obstacle}")
    control = control or Control()
    first, settings = plans[0], configs[0].train
    device = devices.pick(settings.device)
    devices.configure(settings.deterministic)
    data = datasets.load(first.names["dataset"], first.params["dataset"], settings.seed).to(device)
    objective = losses[first.names["loss"]].build(first.params["loss"], first.info)
    members = []
    for plan, emit in zip(plans, emits, strict=True):
        torch.manual_seed(settings.seed)  # as a single run does: a shared init spec gives bit-identical weights
        model = build_model(plan, objective)
        flat = _flatten(model, device)
        optimizer = optimizers[plan.names["optimizer"]].build(plan.params["optimizer"], [flat])
        factor = build_factor(plan.names["schedule"], plan.params["schedule"], plan.total_steps)
        moves = plan.names["schedule"] != "constant" or plan.params["schedule"].warmup_steps > 0
        members.append(Member(plan, emit, flat, _activation(plan).to(device), optimizer,
                              torch.optim.lr_scheduler.LambdaLR(optimizer, factor), moves))
    layout = _layout(model)
    dropout = getattr(first.params["model"], "dropout", 0.0)
    same_activation = len({type(m.activation) for m in members}) == 1

    def forward(stack: torch.Tensor, x: torch.Tensor, training: bool) -> torch.Tensor:
        h = x.flatten(1).expand(len(members), *x.flatten(1).shape)
        for i, (w, shape, b) in enumerate(layout):
            h = torch.baddbmm(stack[:, b].unsqueeze(1), h, stack[:, w].view(len(members), *shape).transpose(1, 2))
            if i < len(layout) - 1:
                h = members[0].activation(h) if same_activation else torch.stack(
                    [m.activation(h[j]) for j, m in enumerate(members)])
                if dropout and training:
                    h = F.dropout(h, dropout, training=True)
        return h

    def per_member(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return torch.stack([objective.fn(out[j], target) for j in range(len(members))])

    @torch.no_grad()
    def evaluate(x: torch.Tensor, y_raw: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        stack = torch.stack([m.flat for m in members])
        out = torch.cat([forward(stack, x[i : i + EVAL_CHUNK], False) for i in range(0, len(x), EVAL_CHUNK)], 1)
        loss = per_member(out, objective.prepare(y_raw))
        acc = None
        if objective.predict is not None:
            acc = torch.stack([(objective.predict(out[j]) == y_raw).float().mean() for j in range(len(members))])
        return loss, acc

    x_train, y_train = data.x_train, objective.prepare(data.y_train)
    x_seen, y_seen = data.x_train[:TRAIN_EVAL_SAMPLES], data.y_train[:TRAIN_EVAL_SAMPLES]
    batches = BatchOrder(first.n_train, first.batch_size, settings.seed, device)
    validation = Cadence(settings.eval_every, settings.eval_share)
    always = grid(0, first.total_steps, settings.eval_every)  # the guaranteed points a single run gets too
    for m in members:
        m.emit(Status("running", f"racing {len(members)} members batched in one process on {device}", {
            "device": str(device), "total_steps": first.total_steps, "parameters": m.flat.numel(),
            "race": {"mode": "batched", "members": len(members)}}))

    started = time.perf_counter()
    train_seconds, steps_timed = 0.0, 0
    window = torch.zeros(len(members), device=device)
    window_count = 0
    # which members still train, kept on the device (changed only at logged points): no host copy each step
    alive = torch.ones(len(members), dtype=torch.bool, device=device)

    def log_point(step: int, lrs: list[float], gnorms: list[float] | None) -> None:
        nonlocal window, window_count, alive
        edge = step == 0 or step == first.total_steps
        if window_count:
            train_loss = (window / window_count).tolist()
            window, window_count = torch.zeros(len(members), device=device), 0
        else:
            train_loss = evaluate(x_seen, y_seen)[0].tolist()
        validated = None
        if edge or step in always or validation.due(step):
            began = time.perf_counter()
            val_loss, val_acc = evaluate(data.x_val, data.y_val)
            train_acc = evaluate(x_seen, y_seen)[1] if val_acc is not None else None
            validation.spent(time.perf_counter() - began, train_seconds / steps_timed if steps_timed else 0.0)
            validated = (val_loss.tolist(), val_acc.tolist() if val_acc is not None else None,
                         train_acc.tolist() if train_acc is not None else None)
        epoch = round(step * first.batch_size / first.n_train, 4)
        elapsed = round(time.perf_counter() - started, 4)
        for j, m in enumerate(members):
            if m.status != "completed":
                continue
            values = {"train_loss": train_loss[j], "lr": lrs[j]}
            if gnorms is not None:
                values["grad_norm"] = gnorms[j]
            if validated is not None:
                values["val_loss"] = validated[0][j]
                if validated[1] is not None:
                    values["val_acc"], values["train_acc"] = validated[1][j], validated[2][j]
                if math.isfinite(validated[0][j]) and validated[0][j] < m.best[0]:
                    m.best = (validated[0][j], step)
            m.emit(Metrics(step, epoch, elapsed, values))
            m.last.update(values)
            if not all(v is None or math.isfinite(v) for v in values.values()):
                # a diverged member stops here; the others race on
                m.status, m.message = "diverged", f"loss became non-finite at step {step} (lr {lrs[j]:g})"
                m.emit(Status("diverged", m.message))
                alive = torch.tensor([m.status == "completed" for m in members], device=device)

    step, ending = 0, ""
    log_point(0, [m.optimizer.param_groups[0]["lr"] for m in members], None)
    while step < first.total_steps and any(m.status == "completed" for m in members):
        action = control.checkpoint(lambda status: [m.emit(status) for m in members])
        if action is Action.STOP:
            ending = control.reason or f"stopped at step {step}"
            break
        step += 1
        began = time.perf_counter()
        index = batches.next()
        xb, yb = (x_train, y_train) if index is None else (x_train[index], y_train[index])
        for m in members:
            m.flat.grad = None
        stack = torch.stack([m.flat for m in members])
        member_losses = per_member(forward(stack, xb, True), yb)
        # a diverged member's loss is left out by value, not by a mask (a boolean index waits for the device)
        torch.where(alive, member_losses, 0.0).sum().backward()
        due = step % settings.eval_every == 0 or step == first.total_steps or action is Action.SINGLE_STEP
        gnorms = None
        if due:  # one host read for every member
            gnorms = torch.stack([m.flat.grad.norm() for m in members]).tolist()
        lrs = [m.optimizer.param_groups[0]["lr"] for m in members]
        for m in members:
            if m.status == "completed":
                m.optimizer.step()
                if m.moves:
                    m.scheduler.step()
        window += member_losses.detach()
        window_count += 1
        if due:
            devices.synchronize(device)  # as the trainer does: the queued steps are charged to training
        train_seconds += time.perf_counter() - began
        steps_timed += 1
        if due:
            log_point(step, lrs, gnorms)

    seconds = round(time.perf_counter() - started, 3)
    # the test split, once at the end, as a single run reads it (engine/validation.py)
    tested = evaluate(data.x_test, data.y_test) if len(data.x_test) else None
    results = []
    for j, m in enumerate(members):
        if m.status != "completed":
            status, message = m.status, m.message
        else:
            status, message = ("stopped", ending) if ending else ("completed", "")
        if status == "stopped":
            m.emit(Status("stopped", message))
        if tested is not None and m.status != "diverged":
            m.last.update(test_loss=tested[0][j].item(), test_samples=len(data.x_test),
                          **({"test_acc": tested[1][j].item()} if tested[1] is not None else {}))
        summary = {**{k: v for k, v in m.last.items() if v is not None}, "steps": step, "seconds": seconds,
                   "best_val_loss": m.best[0] if math.isfinite(m.best[0]) else None, "best_step": m.best[1]}
        done = Done(status, summary)
        m.emit(done)
        results.append(done)
    return results
