"""The training loop: build what each member's RunConfig names, train it, and emit events as it goes.

A job is a list of members; one member is one run. Members that can share a forward pass train batched over a
member axis (engine/batched.py), the others one after another (engine/solo.py), all through this one loop:
every member gets validation, probes, per-layer norms, early stopping, checkpoints and a summary as a run does.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from engine import checkpoint, datasets, devices, fit, steering
from engine.batched import Batched
from engine.batching import groups
from engine.config import Plan, RunConfig, resolve
from engine.control import Action, Control
from engine.datasets import DataBundle
from engine.events import Done, Event, Metrics, Probe, Status
from engine.inits import initializers
from engine.losses import Objective, losses
from engine.manifold_mixup import manifold_mix
from engine.networks import networks
from engine.optimizers import optimizers
from engine.probes import ProbeContext
from engine.probes.budget import ProbeSet
from engine.regularizers import Penalty, regularizers
from engine.schedules import build_factor, schedules
from engine.solo import Solo, evaluate
from engine.tricks import BatchTricks, EarlyStopper, clip_gradients
from engine.validation import CHUNK, Validation, score_test_split

log = logging.getLogger(__name__)
EVAL_CHUNK = CHUNK
TRAIN_EVAL_SAMPLES = 2048  # the untrained model's train loss is read on a fixed subset, cheap on big sets
PROBE_SHARE = 0.25  # of train.eval_share; validation has the rest (engine/validation.py)
# the default cadence (ten checkpoints a run) keeps its checkpoints at least this far apart: each costs its
# copy on the training thread and a write holding the GIL beside it (1.4% of a one-second moons run for ten)
CHECKPOINT_GAP_S = 1.0


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


def grad_norm(model: nn.Module) -> float:
    grads = [p.grad.detach().flatten() for p in model.parameters() if p.grad is not None]
    return torch.linalg.vector_norm(torch.cat(grads)).item() if grads else 0.0


def build_model(plan: Plan, objective: Objective) -> nn.Module:
    model = networks[plan.names["model"]].build(plan.params["model"], plan.info, objective.out_features)
    initializers[plan.names["init"]].build(plan.params["init"])(model)
    return model


@dataclass
class Member:
    """One run of a job: its config, where its events and checkpoints go, and a loaded checkpoint to start from
    (start_from.mode "continue" resumes it exactly, "finetune" takes its weights)."""

    config: RunConfig
    emit: Callable[[Event], None]
    save: Callable[[int, dict], None] | None = None
    start: dict | None = None


@dataclass(eq=False)
class Run:
    """What the loop keeps of one member while it trains."""

    index: int  # the member's place in its job
    member: Member
    plan: Plan
    model: nn.Module  # a batched member's model holds views of the stacked weights: probes read it as usual
    parameters: list[torch.Tensor]  # what the optimizer steps and the clipping rescales
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
    schedule_moves: bool
    observe: Callable[[float], None] | None  # reduce-on-plateau listens to the val loss
    penalty: Penalty | None
    probes: ProbeSet
    stopper: EarlyStopper | None
    save_every: int
    save_gap: float = 0.0  # seconds from one checkpoint to the next at least (0: train.checkpoint_every is set)
    validation: Validation | None = None  # built once the start step is known
    start_step: int = 0
    saved_at: int = 0
    saved_time: float = field(default_factory=time.perf_counter)
    lr: float = 0.0  # of the step being logged, read before that step
    grad_norm: float | None = None
    verdict: dict | None = None  # the fit diagnosis at the last validation point (engine/fit.py)
    best_val_loss: float = math.inf
    best_step: int = 0
    last: dict[str, float | None] = field(default_factory=dict)
    ending: str = ""  # set at a logged point: "diverged" or "early_stop"
    done: Done | None = None

    def after_backward(self, due: bool) -> None:
        """Gradients as backward left them (exploding ones stay visible) are read on logged steps, then clipped."""
        if due:
            self.grad_norm = grad_norm(self.model)
            self.probes.on_before_optimizer_step(self.model)
        train = self.plan.config.train
        clip_gradients(self.parameters, train.clip_grad_value, train.clip_grad_norm)


@dataclass(eq=False)
class Job:
    """The state one loop works on: the members training together and what they share."""

    runs: list[Run]
    live: list[Run]  # the members still training
    stepper: Solo | Batched  # parameters, loss_fn, step, checkpointed: one member or many at once
    plan: Plan  # the first member's: data set, batches and length are the same for all
    data: DataBundle
    objective: Objective
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # every member's loss, as one tensor
    y_train: torch.Tensor  # prepared for the loss
    batches: BatchOrder
    tricks: BatchTricks
    control: Control
    device: torch.device
    step: int = 0
    start_step: int = 0
    due: bool = True
    started: float = field(default_factory=time.perf_counter)
    train_seconds: float = 0.0  # the training work alone, to price the readings against
    steps_timed: int = 0
    window: torch.Tensor | None = None  # each member's summed train loss since the last logged point
    window_count: int = 0

    @property
    def seen(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The fixed training subset train metrics are read on."""
        return self.data.x_train[:TRAIN_EVAL_SAMPLES], self.data.y_train[:TRAIN_EVAL_SAMPLES]

    def step_seconds(self) -> float:
        return self.train_seconds / self.steps_timed if self.steps_timed else 0.0

    def emit_live(self, event: Event) -> None:
        for run in self.live:
            run.member.emit(event)


def train(
    config: RunConfig,
    emit: Callable[[Event], None],
    control: Control | None = None,
    save: Callable[[int, dict], None] | None = None,
    start: dict | None = None,
) -> Done:
    """Train the run `config` describes. `save(step, state)` receives checkpoints; `start` is a loaded
    checkpoint to continue from (start_from.mode "continue") or to fine-tune from ("finetune")."""
    return train_members([Member(config, emit, save, start)], control)[0]


def train_members(members: list[Member], control: Control | None = None) -> list[Done]:
    """Train every member, batched where they can share a forward pass; one Done per member, in order."""
    plans = [resolve(member.config) for member in members]
    control = control or Control()
    dones: dict[int, Done] = {}
    for group in groups(plans):
        job = set_up([members[i] for i in group], [plans[i] for i in group], control)
        dones.update(zip(group, train_job(job), strict=True))
    return [dones[i] for i in range(len(members))]


def set_up(members: list[Member], plans: list[Plan], control: Control) -> Job:
    """Data, loss and every member's model, optimizer, schedule and probes, built as a run of its own builds them."""
    first = plans[0]
    settings = first.config.train
    device = devices.pick(settings.device)
    devices.configure(settings.deterministic)
    torch.manual_seed(settings.seed)  # every device's generator: dropout on a GPU draws from its own
    data = datasets.load(first.names["dataset"], first.params["dataset"], settings.seed).to(device)
    objective = losses[first.names["loss"]].build(first.params["loss"], first.info)
    # every member starts from the generator state a run of its own would: a shared init spec, the same weights
    rng = torch.get_rng_state()
    models = []
    for plan in plans:
        torch.set_rng_state(rng)
        models.append(build_model(plan, objective))
    stepper = Solo(models[0].to(device)) if len(models) == 1 else Batched(models, device)
    transferred = None
    start = members[0].start
    if start is not None and first.config.start_from.mode == "finetune":
        transferred = checkpoint.transfer(start, models[0], first.config.start_from.freeze)
    ctx = ProbeContext(data, objective, first.total_steps, settings.eval_every)
    runs = [build_run(i, member, plan, model, stepper.parameters(i), ctx)
            for i, (member, plan, model) in enumerate(zip(members, plans, models, strict=True))]
    job = Job(
        runs=runs, live=list(runs), stepper=stepper, plan=first, data=data, objective=objective,
        loss_fn=stepper.loss_fn(objective), y_train=objective.prepare(data.y_train),
        batches=BatchOrder(first.n_train, first.batch_size, settings.seed, device),
        # manifold mixup mixes inside the network: a member that asks for it trains alone (engine/batching.py)
        tricks=BatchTricks(settings.augment, settings.mixup_alpha or settings.manifold_mixup_alpha, settings.seed,
                           device, manifold_mix(settings.manifold_mixup_alpha, networks[first.names["model"]],
                                                models[0])),
        control=control, device=device,
    )
    if start is not None and first.config.start_from.mode == "continue":
        run = runs[0]
        job.step = checkpoint.restore(start, run.model, run.optimizer, run.scheduler, job.batches, job.tricks,
                                      run.stopper)
    job.start_step = job.step
    for run, plan in zip(runs, plans, strict=True):
        run.start_step = run.saved_at = job.step
        run.lr = run.optimizer.param_groups[0]["lr"]
        # validation: a guaranteed grid, then as often as its share of the time allows (engine/validation.py)
        run.validation = Validation(data, objective, job.step, plan.total_steps, settings.eval_every,
                                    plan.config.train.eval_share)
    if start is not None:  # the verdict's reference: this architecture untrained (fork_rng: the run draws the same)
        with torch.random.fork_rng(devices=[]):
            runs[0].validation.read_untrained(build_model(first, objective).to(device))
    announce(job, transferred)
    return job


def build_run(index: int, member: Member, plan: Plan, model: nn.Module, parameters: list[torch.Tensor],
              ctx: ProbeContext) -> Run:
    settings = plan.config.train
    optimizer = optimizers[plan.names["optimizer"]].build(plan.params["optimizer"], parameters)
    start_from = plan.config.start_from
    restart = member.start is not None and start_from.mode == "continue" and start_from.schedule == "restart"
    factor = build_factor(plan.names["schedule"], plan.params["schedule"], plan.total_steps,
                          offset=int(member.start["step"]) if restart else 0)
    # a steady schedule without warm-up never changes the lr: no scheduler call on the hot path
    moves = not schedules[plan.names["schedule"]].meta.get("steady") or plan.params["schedule"].warmup_steps > 0
    penalty = None
    if "regularization" in plan.names:
        penalty = regularizers[plan.names["regularization"]].build(plan.params["regularization"])
    return Run(
        index, member, plan, model, parameters, optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, factor), moves,
        getattr(factor, "observe", None), penalty,
        # the probes share a quarter of eval_share between them; 1 means at every logged point
        ProbeSet(plan.probes, ctx, 1.0 if settings.eval_share >= 1.0 else settings.eval_share * PROBE_SHARE),
        EarlyStopper(settings.early_stopping) if settings.early_stopping else None,
        settings.checkpoint_every or max(1, plan.total_steps // 10),
        0.0 if settings.checkpoint_every else CHECKPOINT_GAP_S,
    )


def announce(job: Job, transferred: dict | None) -> None:
    batched = len(job.runs) > 1
    where = f"{len(job.runs)} members batched on {job.device}" if batched else str(job.device)
    for run in job.runs:
        run.member.emit(Status("running", f"training {where}", {
            "device": str(job.device), "total_steps": job.plan.total_steps,
            "parameters": sum(p.numel() for p in run.model.parameters()), "start_step": job.step,
            **({"transfer": transferred} if transferred else {}),
            **({"race": {"mode": "batched", "members": len(job.runs)}} if batched else {}),
        }))


def train_job(job: Job) -> list[Done]:
    """Step until every member has ended (completed, stopped, diverged or early-stopped); their Done, in order."""
    log_point(job)
    close_ended(job)  # the untrained model may already be non-finite
    while job.live and job.step < job.plan.total_steps:
        action = job.control.checkpoint(job.emit_live)
        if action is Action.STOP:
            for run in list(job.live):
                end(job, run, "stopped", job.control.reason or f"stopped at step {job.step}")
            break
        steering.apply_due(job)
        train_step(job, action)
        if job.due:
            log_point(job)
        for run in job.live:
            save_due(job, run)
        close_ended(job)
    for run in list(job.live):
        end(job, run, "completed")
    return [run.done for run in job.runs]


def train_step(job: Job, action: Action) -> None:
    job.step += 1
    began = time.perf_counter()
    index = job.batches.next()
    xb, yb = (job.data.x_train, job.y_train) if index is None else (job.data.x_train[index], job.y_train[index])
    inputs, loss_of = job.tricks.prepare(xb, yb, job.loss_fn)
    every, last = job.plan.config.train.eval_every, job.plan.total_steps
    job.due = job.step % every == 0 or job.step == last or action is Action.SINGLE_STEP
    runs = job.live
    if job.due:
        for run in runs:
            run.lr = run.optimizer.param_groups[0]["lr"]
            run.probes.on_train_batch_start(run.model)  # keeps the weights to measure this step's update
    losses = job.stepper.step(runs, inputs, loss_of, job.due)
    for run in runs:
        if run.schedule_moves:
            run.scheduler.step()
    if job.window_count:
        job.window += losses
    else:
        job.window = losses.clone()
    job.window_count += 1
    if job.due:
        # the GPU runs behind the host: wait for this step's work (and any queued before it) so that it is
        # charged to training, not to the validation and probes that follow and would wait for it anyway
        devices.synchronize(job.device)
    job.train_seconds += time.perf_counter() - began
    job.steps_timed += 1


def log_point(job: Job) -> None:
    """Metrics of every training member (validation when due), then its probes; marks the members that end."""
    edge = job.step == job.start_step or job.step == job.plan.total_steps  # the first and last points are complete
    train_losses = None
    if job.window_count:
        # the mean loss of the training batches since the last point, as TensorBoard and Keras show it
        train_losses = (job.window / job.window_count).tolist()
        job.window_count = 0
    epoch = round(job.step * job.plan.batch_size / job.plan.n_train, 4)
    step_seconds = job.step_seconds() / len(job.runs)  # each member's share of a step prices its readings
    for run in job.live:
        values: dict[str, float | None] = {"lr": run.lr}
        if train_losses is not None:
            values["train_loss"] = train_losses[run.index]
        else:
            values["train_loss"] = evaluate(run.model, job.objective, *job.seen)[0]  # the untrained model
        val_loss = None
        if run.validation.due(job.step):
            val_loss = run.validation.read(run.model, job.step, values, step_seconds)
            run.verdict = fit.diagnose(run.validation.points, run.validation.untrained_loss)
        if run.grad_norm is not None:
            values["grad_norm"] = run.grad_norm
        values.update(run.probes.metrics(run.model))
        run.member.emit(Metrics(job.step, epoch, round(time.perf_counter() - job.started, 4), values))
        if val_loss is not None and run.verdict:
            run.member.emit(Probe(job.step, "fit", run.verdict))  # the page shows it as it is: one verdict
        record(job, run, values, val_loss, edge, step_seconds)


def record(job: Job, run: Run, values: dict[str, float | None], val_loss: float | None, edge: bool,
           step_seconds: float) -> None:
    """Keep a member's best, read its probes; a non-finite value or no progress marks it to end."""
    run.last.update(values)
    if val_loss is not None and math.isfinite(val_loss) and val_loss < run.best_val_loss:
        run.best_val_loss, run.best_step = val_loss, job.step
    if not all(v is None or math.isfinite(v) for v in values.values()):
        run.ending = "diverged"
        return
    run.probes.read(run.model, job.step, edge, step_seconds, run.member.emit)
    # a continued run's first point repeats the checkpoint's last one, which the restored stopper has counted
    if val_loss is not None and not (job.step == run.start_step and job.step > 0):
        if run.observe is not None:
            run.observe(val_loss)
        if run.stopper is not None and run.stopper.should_stop(val_loss):
            run.ending = "early_stop"


def save_due(job: Job, run: Run) -> None:
    if (run.member.save is not None and job.step % run.save_every == 0 and run.ending != "diverged"
            and time.perf_counter() - run.saved_time >= run.save_gap):  # the last step's is written by end()
        save_checkpoint(job, run)


def save_checkpoint(job: Job, run: Run) -> None:
    optimizer = job.stepper.checkpointed(run.optimizer, run.index)
    run.member.save(job.step, checkpoint.capture(job.step, run.model, optimizer, run.scheduler, job.batches,
                                                 job.tricks, run.stopper))
    run.saved_at, run.saved_time = job.step, time.perf_counter()


def close_ended(job: Job) -> None:
    for run in list(job.live):
        if run.ending:
            end_at_point(job, run)


def end_at_point(job: Job, run: Run) -> None:
    if run.ending == "diverged":
        if job.step == run.start_step:
            end(job, run, "diverged", "the untrained model's loss is not finite")
        else:
            end(job, run, "diverged", f"loss became non-finite at step {job.step} (lr {run.lr:g}); try a smaller lr")
    else:
        patience = run.plan.config.train.early_stopping.patience
        end(job, run, "completed", f"early stopping at step {job.step}: no better val loss in {patience} "
            f"evaluations (best at step {run.best_step})")


def end(job: Job, run: Run, status: str, message: str = "") -> None:
    """The member's last checkpoint, its summary and its Done; the others train on."""
    if run.member.save is not None and status != "diverged" and run.saved_at != job.step:
        save_checkpoint(job, run)
    # the test split, read once at the end into the summary: nothing that chooses (early stopping, sweeps) sees it
    tested = score_test_split(run.model, job.objective, job.data) if status != "diverged" else {}
    seconds = round(time.perf_counter() - job.started, 3)
    # per-layer values (grad_norm/<layer>, ...) stay in the history; the summary keeps the run-level ones
    kept = {k: v for k, v in run.last.items() if v is not None and "/" not in k}
    best = run.best_val_loss if math.isfinite(run.best_val_loss) else None
    summary = {**kept, "steps": job.step, "seconds": seconds, "best_val_loss": best, "best_step": run.best_step,
               "early_stopped": run.ending == "early_stop", **run.validation.summary(), **tested}
    if run.verdict:
        summary["fit"] = run.verdict["kind"]
    if message:
        run.member.emit(Status(status, message))
    log.info("run %s after %d steps in %.2fs", status, job.step, seconds)
    run.done = Done(status, summary)
    run.member.emit(run.done)
    job.live.remove(run)
