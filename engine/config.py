"""RunConfig, the one description of a run, and `resolve`, which checks all of it before anything is built."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engine import steering
from engine.datasets import DataInfo, data_info, datasets, split_sizes
from engine.inits import initializers
from engine.losses import losses
from engine.networks import networks
from engine.networks.sizing import defaults_for
from engine.optimizers import optimizers
from engine.probes import probes
from engine.registry import Params, Registry
from engine.regularizers import regularizers
from engine.schedules import schedules
from engine.steering import SteerSpec
from engine.tricks import AUGMENT_KINDS, Augmentation, EarlyStopping

DEFAULT_STEPS = 500
# a client's JSON body: no unknown keys, no NaN or ±Infinity, and no "5" or true where a number belongs
BODY = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)


class Spec(BaseModel):
    """A component by registry name, with its params (validated against that entry's params model)."""

    model_config = BODY
    name: str = Field(min_length=1, max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)


class TrainSettings(BaseModel):
    model_config = BODY
    steps: int | None = Field(None, ge=1, description="optimizer steps; give steps or epochs")
    epochs: int | None = Field(None, ge=1, description="passes over the training set")
    batch_size: int | Literal["full"] = Field(32, description="1 = SGD, 'full' = batch gradient descent")
    seed: int = Field(0, ge=0, le=2**31 - 1)
    eval_every: int = Field(10, ge=1, le=1_000_000, description="log metrics every this many steps")
    eval_share: float = Field(
        0.04, gt=0.0, le=1.0,
        description="most of the time validation and probes may take; they run on the eval_every grid as "
        "often as that allows (1 = at every logged step)",
    )
    device: Literal["auto", "cpu", "cuda"] = "auto"
    deterministic: bool = Field(
        False, description="deterministic GPU kernels and fixed cuDNN algorithms: the same seed gives the same "
        "curve on a GPU too, at some speed (the CPU is deterministic either way)",
    )
    # training tricks (engine/tricks.py says why they live here and not in a registry); all off by default
    early_stopping: EarlyStopping | None = Field(None, description="stop when the val loss stops improving")
    clip_grad_norm: float | None = Field(
        None, gt=0.0, le=1e6, description="rescale gradients whose global norm exceeds this"
    )
    clip_grad_value: float | None = Field(
        None, gt=0.0, le=1e6, description="clamp each gradient component to [−v, v]"
    )
    mixup_alpha: float = Field(0.0, ge=0.0, le=10.0, description="mixup: λ ~ Beta(α, α); 0 = off")
    manifold_mixup_alpha: float = Field(
        0.0, ge=0.0, le=10.0,
        description="manifold mixup: mix hidden states at a random layer, λ ~ Beta(α, α); 0 = off (MLP, CNN, ResNet)",
    )
    augment: Augmentation | None = Field(None, description="random flips, shifts and noise on training batches")
    checkpoint_every: int = Field(
        0, ge=0, le=10_000_000,
        description="save weights every this many steps (and at the end); 0 = 10 per run, 1 s apart at least",
    )
    steers: list[SteerSpec] = Field(
        default_factory=list, max_length=1000, description="lr, momentum, weight_decay or probes changed at a step "
        "(a steered run's continuation and export carry its steers here)",
    )

    @model_validator(mode="after")
    def _one_length(self) -> TrainSettings:
        if self.steps is not None and self.epochs is not None:
            raise ValueError("give steps or epochs, not both")
        if isinstance(self.batch_size, int) and self.batch_size < 1:
            raise ValueError("batch_size must be at least 1 or 'full'")
        if self.mixup_alpha and self.manifold_mixup_alpha:
            raise ValueError("mix at the input (mixup_alpha) or at a hidden layer (manifold_mixup_alpha), not both")
        return self


class StartFrom(BaseModel):
    """Begin from another run's checkpoint: continue it exactly, or fine-tune its weights with layers frozen."""

    model_config = BODY
    run: str = Field(pattern=r"^[0-9a-f]{12}$", description="id of the run whose checkpoint to load")
    step: int | None = Field(None, ge=0, description="checkpoint step; null = the latest")
    mode: Literal["continue", "finetune"] = "finetune"
    freeze: list[str] = Field(default_factory=list, max_length=100,
                              description="parameter-name prefixes to freeze, e.g. '1.' or 'features.0'")
    schedule: Literal["extend", "restart"] = Field(
        "extend", description="continue: 'extend' lays the lr schedule over all the new run's steps, as if it had been "
        "planned that long; 'restart' begins it again at the checkpoint, over the steps added")


class RunConfig(BaseModel):
    # the example is what /docs shows first, and what schemathesis' examples phase starts real runs with
    model_config = ConfigDict(**BODY, json_schema_extra={"examples": [{
        "dataset": {"name": "moons"}, "model": {"name": "mlp"}, "loss": {"name": "cross_entropy"},
        "optimizer": {"name": "adam", "params": {"lr": 0.01}}, "train": {"steps": 20, "batch_size": 32}}]})
    name: str | None = Field(None, max_length=200)
    dataset: Spec
    model: Spec
    loss: Spec
    optimizer: Spec
    schedule: Spec | None = None
    init: Spec | None = None
    regularization: Spec | None = None
    probes: list[Spec] | None = Field(None, description="probes to run; null = the defaults that apply")
    train: TrainSettings = Field(default_factory=TrainSettings)
    start_from: StartFrom | None = None


@dataclass(frozen=True)
class Section:
    """A component section of a RunConfig: its registry, what the builder calls it, its list in /api/catalog,
    and the entry used when a config leaves it out (none: the section is off, or required)."""

    key: str
    registry: Registry
    label: str
    catalog: str
    default: str | None = None

    @property
    def required(self) -> bool:
        return RunConfig.model_fields[self.key].is_required()

    def describe(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "catalog": self.catalog, "kind": self.registry.kind,
                "required": self.required, "default": self.default}


# the one list of sections, in the builder's order; everything else derives from it
SECTION_LIST: tuple[Section, ...] = (
    Section("dataset", datasets, "Data", "datasets"),
    Section("model", networks, "Network", "networks"),
    Section("loss", losses, "Loss", "losses"),
    Section("optimizer", optimizers, "Optimizer", "optimizers"),
    Section("schedule", schedules, "LR schedule", "schedules", default="constant"),
    Section("init", initializers, "Initialization", "initializers", default="default"),
    Section("regularization", regularizers, "Penalty", "regularizers"),
)
SECTIONS: dict[str, Registry] = {s.key: s.registry for s in SECTION_LIST}
DEFAULTS = {s.key: s.default for s in SECTION_LIST if s.default}


class ConfigError(ValueError):
    """Every problem found in a RunConfig, each as {loc, msg, type} like pydantic's errors."""

    def __init__(self, errors: list[dict[str, Any]]):
        self.errors = errors
        super().__init__("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors))

    def __reduce__(self):
        return ConfigError, (self.errors,)  # raised in the planner process, re-raised in the web process


@dataclass
class Plan:
    """A checked RunConfig: parsed params per section and the numbers the trainer needs."""

    config: RunConfig
    names: dict[str, str]
    params: dict[str, Params]
    info: DataInfo
    n_train: int
    batch_size: int
    total_steps: int
    probes: list[tuple[str, Params]] = field(default_factory=list)


def _error(loc: tuple, msg: str, kind: str = "value_error") -> dict[str, Any]:
    return {"loc": list(loc), "msg": msg, "type": kind}


def _parse(registry: Registry, spec: Spec, loc: tuple, errors: list, info: DataInfo | None = None) -> Params | None:
    if spec.name not in registry:
        known = ", ".join(registry.names())
        errors.append(_error((*loc, "name"), f"unknown {registry.kind} '{spec.name}'; choose one of: {known}"))
        return None
    try:
        # defaults sized for the data set (a network's widths), under whatever the spec gives; the context names
        # the sized keys the spec left out, which a field's old name in the spec (batch_norm) overrides
        sized = defaults_for(registry[spec.name], info)
        return registry[spec.name].params.model_validate(
            {**sized, **spec.params}, context={"sized": sized.keys() - spec.params.keys()})
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            errors.append(_error((*loc, "params", *err["loc"]), err["msg"], err["type"]))
        return None


def resolve(config: RunConfig) -> Plan:
    """Validate every name, every param and every pairing; raise ConfigError listing all problems.

    Torch-free (the web process calls it): whether the network's layers fit the data set's shape is known only by
    building it, which engine/architecture.py's `survey` does in the planner process."""
    errors: list[dict[str, Any]] = []
    names: dict[str, str] = {"dataset": config.dataset.name}
    parsed: dict[str, Params] = {}
    # the data set first: the network's default sizes follow its input size and class count
    dataset = _parse(datasets, config.dataset, ("dataset",), errors)
    info, info_error = None, None
    if dataset is not None:
        try:
            info = data_info(names["dataset"], dataset)
        except ValueError as exc:  # e.g. an upload id that names no file
            info_error = _error(("dataset", "params"), str(exc))
    for section, registry in SECTIONS.items():
        spec = getattr(config, section) or (Spec(name=DEFAULTS[section]) if section in DEFAULTS else None)
        if spec is None or section == "dataset":
            continue
        names[section] = spec.name
        result = _parse(registry, spec, (section,), errors, info)
        if result is not None:
            parsed[section] = result
    if dataset is None or info is None:
        raise ConfigError([*errors, *([info_error] if info_error else [])])
    parsed["dataset"] = dataset

    _check_pairings(names, info, errors)
    _check_augmentation(config.train, info, errors)
    if config.train.manifold_mixup_alpha and names.get("model") in networks:
        if "mixup_points" not in networks[names["model"]].meta:
            able = [e.name for e in networks if "mixup_points" in e.meta]
            errors.append(_error(("train", "manifold_mixup_alpha"),
                                 f"network '{names['model']}' has no hidden layers to mix; use {', '.join(able)}"))
    n_train = split_sizes(info.n_samples, parsed["dataset"])[0]
    train = config.train
    batch_size = n_train if train.batch_size == "full" else train.batch_size
    if batch_size > n_train:
        errors.append(_error(("train", "batch_size"), f"larger than the training set ({n_train} samples); use 'full'"))
    total_steps = train.steps or (train.epochs or 0) * math.ceil(n_train / max(1, batch_size)) or DEFAULT_STEPS

    chosen = config.probes if config.probes is not None else [
        Spec(name=e.name) for e in probes if e.meta.get("default") and e.meta["applies"](info)
    ]
    probe_params = []
    for i, spec in enumerate(chosen):
        result = _parse(probes, spec, ("probes", i), errors)
        if result is not None:
            if not probes[spec.name].meta["applies"](info):
                errors.append(_error(("probes", i, "name"), f"probe '{spec.name}' does not apply to this data set"))
            probe_params.append((spec.name, result))
    if "optimizer" in parsed:
        errors += steering.check(config.train.steers, names["optimizer"], parsed["optimizer"], ("train", "steers"))
    if errors:
        raise ConfigError(errors)
    return Plan(config, names, parsed, info, n_train, batch_size, total_steps, probe_params)


def _check_pairings(names: dict[str, str], info: DataInfo, errors: list) -> None:
    if names.get("model") in networks:
        accepts = networks[names["model"]].meta.get("accepts", [])
        if info.kind not in accepts:
            fits = [d.name for d in datasets if d.meta.get("kind") in accepts]
            errors.append(_error(
                ("model", "name"),
                f"network '{names['model']}' cannot take {info.kind} data ('{names['dataset']}'); "
                f"it accepts {', '.join(accepts)} data sets: {', '.join(fits)}",
            ))
    if names.get("loss") in losses:
        tasks = losses[names["loss"]].meta.get("tasks", [])
        if info.task not in tasks:
            errors.append(_error(
                ("loss", "name"),
                f"loss '{names['loss']}' is for {' or '.join(tasks)}; '{names['dataset']}' is {info.task}",
            ))


def _check_augmentation(train: TrainSettings, info: DataInfo, errors: list) -> None:
    augment = train.augment
    if augment is None:
        return
    for knob, kinds in AUGMENT_KINDS.items():
        if getattr(augment, knob) and info.kind not in kinds:
            errors.append(_error(("train", "augment", knob),
                                 f"{knob} needs {' or '.join(kinds)} data, not {info.kind}"))


def explicit(plan: Plan) -> RunConfig:
    """The plan's config with every default written out, so a stored run reads the same even if a
    default changes later, and two runs can be compared setting by setting."""
    data = plan.config.model_dump(mode="json")
    for section, name in plan.names.items():
        data[section] = {"name": name, "params": plan.params[section].model_dump(mode="json")}
    return RunConfig.model_validate(data)
