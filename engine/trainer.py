"""The training loop: build everything a RunConfig names, train it, and emit events as it goes."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

import torch
from torch import nn

from engine import checkpoint, datasets, devices, fit, probes
from engine.cadence import Cadence
from engine.config import Plan, RunConfig, resolve
from engine.control import Action, Control
from engine.events import Done, Event, Metrics, Probe, Status
from engine.inits import initializers
from engine.losses import Objective, losses
from engine.manifold_mixup import manifold_mix
from engine.networks import networks
from engine.optimizers import optimizers
from engine.probes.watch import build_all as build_probes
from engine.regularizers import regularizers
from engine.schedules import build_factor
from engine.tricks import BatchTricks, EarlyStopper, clip_gradients
from engine.validation import CHUNK, Validation, measure, score_test_split

log = logging.getLogger(__name__)
EVAL_CHUNK = CHUNK
TRAIN_EVAL_SAMPLES = 2048  # the untrained model's train loss is read on a fixed subset, cheap on big sets


class BatchOrder:
    """Seeded shuffling, one permutation per epoch: two runs with one seed see the same batches."""

    def __init__(self, n: int, batch_size: int, seed: int, device: torch.device):
        self.n, self.batch_size, self.device = n, batch_size, device
        self.generator = torch.Generator().manual_seed(seed + 1)
        self.order = torch.empty(0, dtype=torch.long)
        self.pos = n

    def next(self) -> torch.Tensor | None:
        if self.batch_size >= self.n:
            return None  # full batch: no gather at all
        if self.pos + self.batch_size > self.n:
            # drawn on the CPU, so every device sees the same batches; the copy goes from pinned memory without
            # waiting for the GPU (a blocking copy would stall the host once an epoch)
            order = torch.randperm(self.n, generator=self.generator)
            if self.device.type == "cuda":
                order = order.pin_memory()
            self.order = order.to(self.device, non_blocking=True)
            self.pos = 0
        batch = self.order[self.pos : self.pos + self.batch_size]
        self.pos += self.batch_size
        return batch


def evaluate(
    model: nn.Module, objective: Objective, x: torch.Tensor, y_raw: torch.Tensor
) -> tuple[float, float | None]:
    reading = measure(model, objective, x, y_raw, spread=False)
    return reading.loss, reading.acc


def grad_norm(model: nn.Module) -> float:
    grads = [p.grad.detach().flatten() for p in model.parameters() if p.grad is not None]
    return torch.linalg.vector_norm(torch.cat(grads)).item() if grads else 0.0


def build_model(plan: Plan, objective: Objective) -> nn.Module:
    model = networks[plan.names["model"]].build(plan.params["model"], plan.info, objective.out_features)
    initializers[plan.names["init"]].build(plan.params["init"])(model)
    return model


def train(
    config: RunConfig,
    emit: Callable[[Event], None],
    control: Control | None = None,
    save: Callable[[int, dict], None] | None = None,
    start: dict | None = None,
) -> Done:
    """Train the run `config` describes. `save(step, state)` receives checkpoints; `start` is a loaded
    checkpoint to continue from (start_from.mode "continue") or to fine-tune from ("finetune")."""
    plan = resolve(config)
    control = control or Control()
    settings = config.train
    device = devices.pick(settings.device)
    devices.configure(settings.deterministic)
    torch.manual_seed(settings.seed)  # every device's generator: dropout on a GPU draws from its own

    data = datasets.load(plan.names["dataset"], plan.params["dataset"], settings.seed).to(device)
    objective = losses[plan.names["loss"]].build(plan.params["loss"], plan.info)
    model = build_model(plan, objective).to(device)
    transferred = None
    if start is not None and config.start_from.mode == "finetune":
        transferred = checkpoint.transfer(start, model, config.start_from.freeze)
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = optimizers[plan.names["optimizer"]].build(plan.params["optimizer"], parameters)
    factor = build_factor(plan.names["schedule"], plan.params["schedule"], plan.total_steps)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    # a constant schedule without warm-up never changes the lr: no scheduler call on the hot path
    schedule_moves = plan.names["schedule"] != "constant" or plan.params["schedule"].warmup_steps > 0
    observe = getattr(factor, "observe", None)  # reduce-on-plateau listens to the val loss
    penalty = None
    if "regularization" in plan.names:
        penalty = regularizers[plan.names["regularization"]].build(plan.params["regularization"])
    hidden_mix = manifold_mix(settings.manifold_mixup_alpha, networks[plan.names["model"]], model)
    tricks = BatchTricks(settings.augment, settings.mixup_alpha or settings.manifold_mixup_alpha, settings.seed,
                         device, hidden_mix)
    stopper = EarlyStopper(settings.early_stopping) if settings.early_stopping else None
    context = probes.ProbeContext(data, objective, plan.total_steps, settings.eval_every)
    runners, watches = build_probes(plan.probes, context)  # watches read inside logged steps (per-layer norms)

    x_train, y_train = data.x_train, objective.prepare(data.y_train)
    x_seen, y_seen = data.x_train[:TRAIN_EVAL_SAMPLES], data.y_train[:TRAIN_EVAL_SAMPLES]
    batches = BatchOrder(plan.n_train, plan.batch_size, settings.seed, device)
    step = 0
    if start is not None and config.start_from.mode == "continue":
        step = checkpoint.restore(start, model, optimizer, scheduler, batches, tricks, stopper)
    save_every = settings.checkpoint_every or max(1, plan.total_steps // 10)
    # validation: a guaranteed grid, then as often as its share of the time allows (engine/validation.py)
    validation = Validation(data, objective, step, plan.total_steps, settings.eval_every, settings.eval_share)
    # the probes share one quarter of eval_share between them, however many there are
    probe_share = settings.eval_share * 0.25 / max(1, len(runners))
    probe_cadences = [Cadence(runner.every, probe_share) for runner in runners]
    if start is not None:  # the verdict's reference: this architecture untrained (fork_rng: the run draws the same)
        with torch.random.fork_rng(devices=[]):
            validation.read_untrained(build_model(plan, objective).to(device))
    n_params = sum(p.numel() for p in model.parameters())
    emit(Status("running", f"training on {device}", {
        "device": str(device), "total_steps": plan.total_steps, "parameters": n_params, "start_step": step,
        **({"transfer": transferred} if transferred else {}),
    }))

    started = time.perf_counter()
    train_seconds, steps_timed = 0.0, 0  # the training work alone, to price the readings against
    best = {"val_loss": math.inf, "step": 0}
    last: dict[str, float | None] = {}
    window_sum = torch.zeros((), device=device)
    window_count = 0

    def log_point(step: int, lr: float, gnorm: float | None) -> str | None:
        """Emit metrics (and validation and probes when due); return "diverged" or "early_stop" to end."""
        nonlocal window_count, last
        values: dict[str, float | None] = {"lr": lr}
        if window_count:
            # the mean loss of the training batches since the last point, as TensorBoard and Keras show it
            values["train_loss"] = window_sum.item() / window_count
            window_sum.zero_()  # .item() has synchronised: the sum can be reused in place
            window_count = 0
        else:
            values["train_loss"] = evaluate(model, objective, x_seen, y_seen)[0]  # the untrained model
        edge = step == start_step or step == plan.total_steps  # the first and last points are always complete
        step_seconds = train_seconds / steps_timed if steps_timed else 0.0
        val_loss = validation.read(model, step, values, step_seconds) if validation.due(step) else None
        if gnorm is not None:
            values["grad_norm"] = gnorm
        for watch in watches:
            values.update(watch.metrics(model))
        epoch = round(step * plan.batch_size / plan.n_train, 4)
        emit(Metrics(step, epoch, round(time.perf_counter() - started, 4), values))
        if val_loss is not None and (verdict := fit.diagnose(validation.points, validation.untrained_loss)):
            emit(Probe(step, "fit", verdict))  # the page shows it as it is: one verdict, computed here
        last.update(values)
        if val_loss is not None and math.isfinite(val_loss) and val_loss < best["val_loss"]:
            best.update(val_loss=val_loss, step=step)
        if not all(v is None or math.isfinite(v) for v in values.values()):
            return "diverged"
        for runner, cadence in zip(runners, probe_cadences, strict=True):
            if step_seconds:
                cadence.spent(0.0, step_seconds)  # prices the first reading, taken before any step was timed
            if edge or cadence.due(step):
                began = time.perf_counter()
                reading = runner.read(model, step)
                if reading is not None:
                    emit(Probe(step, runner.name, reading))
                cadence.spent(time.perf_counter() - began, step_seconds)
        # a continued run's first point repeats the checkpoint's last one, which the restored stopper has counted
        if val_loss is not None and not (step == start_step and step > 0):
            if observe is not None:
                observe(val_loss)
            if stopper is not None and stopper.should_stop(val_loss):
                return "early_stop"
        return None

    def closure() -> torch.Tensor:
        """Forward and backward on this step's `inputs` (set in the loop below). Every optimizer is stepped
        as step(closure): most call it once, L-BFGS several times, and each call sees the same batch."""
        nonlocal gnorm
        optimizer.zero_grad(set_to_none=True)
        loss = loss_of(model(inputs))
        if penalty is not None:
            loss = loss + penalty(model)
        loss.backward()
        if due:
            gnorm = grad_norm(model)  # before clipping: exploding gradients stay visible
            for watch in watches:
                watch.on_before_optimizer_step(model)
        clip_gradients(parameters, settings.clip_grad_value, settings.clip_grad_norm)
        return loss

    status, message, early_stopped = "completed", "", False
    saved_at = start_step = step
    if log_point(step, optimizer.param_groups[0]["lr"], None) == "diverged":
        status, message = "diverged", "the untrained model's loss is not finite"
    while status == "completed" and step < plan.total_steps:
        action = control.checkpoint(emit)
        if action is Action.STOP:
            status, message = "stopped", control.reason or f"stopped at step {step}"
            break
        step += 1
        began = time.perf_counter()
        index = batches.next()
        xb, yb = (x_train, y_train) if index is None else (x_train[index], y_train[index])
        inputs, loss_of = tricks.prepare(xb, yb, objective.fn)
        due = step % settings.eval_every == 0 or step == plan.total_steps or action is Action.SINGLE_STEP
        gnorm = None
        if due:
            for watch in watches:
                watch.on_train_batch_start(model)  # keeps the weights to measure this step's update
        lr = optimizer.param_groups[0]["lr"]
        loss = optimizer.step(closure)
        if schedule_moves:
            scheduler.step()
        window_sum += loss.detach()
        window_count += 1
        if due:
            # the GPU runs behind the host: wait for this step's work (and any queued before it) so that it is
            # charged to training, not to the validation and probes that follow and would wait for it anyway
            devices.synchronize(device)
        train_seconds += time.perf_counter() - began
        steps_timed += 1
        ending = log_point(step, lr, gnorm) if due else None
        if save is not None and step % save_every == 0 and ending != "diverged":
            save(step, checkpoint.capture(step, model, optimizer, scheduler, batches, tricks, stopper))
            saved_at = step
        if ending == "diverged":
            status, message = "diverged", f"loss became non-finite at step {step} (lr {lr:g}); try a smaller lr"
        elif ending == "early_stop":
            early_stopped = True
            message = (f"early stopping at step {step}: no better val loss in "
                       f"{settings.early_stopping.patience} evaluations (best at step {best['step']})")
            break

    if save is not None and status != "diverged" and saved_at != step:
        save(step, checkpoint.capture(step, model, optimizer, scheduler, batches, tricks, stopper))
    # the test split, read once at the end into the summary: nothing that chooses (early stopping, sweeps) sees it
    tested = score_test_split(model, objective, data) if status != "diverged" else {}
    seconds = round(time.perf_counter() - started, 3)
    # per-layer values (grad_norm/<layer>, ...) stay in the history; the summary keeps the run-level ones
    kept = {k: v for k, v in last.items() if v is not None and "/" not in k}
    summary = {**kept, "steps": step, "seconds": seconds,
               "best_val_loss": best["val_loss"] if math.isfinite(best["val_loss"]) else None,
               "best_step": best["step"], "early_stopped": early_stopped, **validation.summary(), **tested}
    if validation.points and (verdict := fit.diagnose(validation.points, validation.untrained_loss)):
        summary["fit"] = verdict["kind"]
    if message:
        emit(Status(status, message))
    log.info("run %s after %d steps in %.2fs", status, step, seconds)
    done = Done(status, summary)
    emit(done)
    return done
