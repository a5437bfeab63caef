"""Export a run as one standalone Python script that reproduces its losses with torch and the standard library.

Everything is built as engine/trainer.py builds it; the data, the initial weights (TorchScript), the loss (traced)
and the lr factor of every step are embedded, and each piece is checked against the eager original before export.
"""

from __future__ import annotations

import ast
import base64
import copy
import io
import json
import re
import warnings
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from torch import nn

from engine import checkpoint, datasets
from engine.config import Plan, RunConfig, TrainSettings, resolve
from engine.export_errors import ExportError
from engine.export_torchscript import serialize_loss, serialize_model, serialize_predict
from engine.losses import losses
from engine.optimizers import optimizers
from engine.optimizers._lean import as_torch
from engine.regularizers import regularizers
from engine.schedules import build_factor
from engine.trainer import EVAL_CHUNK, TRAIN_EVAL_SAMPLES, build_model

TEMPLATE = Path(__file__).with_name("export_template.py.txt")
MAX_SCRIPT_BYTES = 64 * 2**20
# train settings the script mirrors; any other setting must keep its default or the export is refused
REPRODUCED = {
    "steps",
    "epochs",
    "batch_size",
    "seed",
    "eval_every",
    "device",
    "deterministic",
    "early_stopping",
    "clip_grad_norm",
    "clip_grad_value",
    "steers",
}


def weights_file(checkpoint_root: str, run_id: str, step: int) -> bytes:
    """A checkpoint's model state_dict as a torch.save file (the weights download)."""
    buffer = io.BytesIO()
    torch.save(checkpoint.read(checkpoint_root, run_id, step)["model"], buffer)
    return buffer.getvalue()


def standalone_script(config: RunConfig) -> str:
    """The source of a script that replays `config` without Descent installed (on its device, or --device).

    Raises ConfigError (a ValueError) for an invalid config and ExportError (a ValueError) for a run the script
    cannot reproduce: a setting it does not mirror, a plateau schedule, a network TorchScript cannot hold."""
    plan = resolve(config)
    _check_settings(config.train)
    # fork_rng: seeding here must not disturb the global generator of the process that asked for the export
    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit's deprecation and tracer warnings
        fields = _build(plan)
    script = _render(fields)
    if len(script) > MAX_SCRIPT_BYTES:
        raise ExportError(f"the script would be {len(script) / 2**20:.0f} MiB; use a smaller data set")
    return script


def _check_settings(settings: TrainSettings) -> None:
    for name, field in TrainSettings.model_fields.items():
        if name not in REPRODUCED and getattr(settings, name) != field.get_default(call_default_factory=True):
            raise ExportError(f"train.{name} is not reproduced by the exported script; turn it off to export")


def _build(plan: Plan) -> dict[str, str]:
    """The trainer's set-up, step by step in its order, so the initial weights come out bit for bit."""
    settings = plan.config.train
    torch.manual_seed(settings.seed)
    data = datasets.load(plan.names["dataset"], plan.params["dataset"], settings.seed)
    objective = losses[plan.names["loss"]].build(plan.params["loss"], plan.info)
    model = build_model(plan, objective)
    rng_state = torch.get_rng_state()
    optimizer = optimizers[plan.names["optimizer"]].build(plan.params["optimizer"], model.parameters())
    factor = build_factor(plan.names["schedule"], plan.params["schedule"], plan.total_steps)
    if hasattr(factor, "observe"):
        raise ExportError(f"schedule '{plan.names['schedule']}' follows the val loss; the script cannot precompute it")

    y_train = objective.prepare(data.y_train)
    n_seen = min(TRAIN_EVAL_SAMPLES, len(data.x_train))
    y_seen_raw = data.y_train[:n_seen]
    y_seen, y_val = objective.prepare(y_seen_raw), objective.prepare(data.y_val)
    n_batch = min(plan.batch_size, plan.n_train)
    # (inputs, prepared targets) of every length the loss will see: a batch, the train subset, the val split
    by_length = {
        n_batch: (data.x_train[:n_batch], y_train[:n_batch]),
        n_seen: (data.x_train[:n_seen], y_seen),
        len(data.x_val): (data.x_val, y_val),
    }
    eval_inputs = [
        x[i : i + EVAL_CHUNK] for x in (data.x_train[:n_seen], data.x_val) for i in range(0, len(x), EVAL_CHUNK)
    ]

    model_bytes, traced = serialize_model(model, plan.names["model"], data.x_train[:n_batch], eval_inputs)
    outputs = {n: _eval_output(model, x) for n, (x, _) in by_length.items()}
    predict = serialize_predict(objective, {n: outputs[n] for n in (n_seen, len(data.x_val))})
    loss_bytes = {
        n: serialize_loss(objective, plan.names["loss"], outputs[n], target) for n, (_, target) in by_length.items()
    }

    tensors = {
        "x_train": data.x_train,
        "y_train": y_train,
        "y_seen": y_seen,
        "x_val": data.x_val,
        "y_val": y_val,
        "rng_state": rng_state,
        "lr_factors": torch.tensor([float(factor(s)) for s in range(plan.total_steps + 1)], dtype=torch.float64),
    }
    if predict:
        tensors.update(y_seen_raw=y_seen_raw, y_val_raw=data.y_val)
    buffer = io.BytesIO()
    # clone: a slice would otherwise drag its whole storage (the test split too) into the file
    torch.save({k: v.detach().clone() for k, v in tensors.items()}, buffer)

    config_json = json.dumps(plan.config.model_dump(mode="json"), indent=2)
    return {
        "DATE": datetime.now(UTC).isoformat(timespec="seconds"),
        "CONFIG": "\n".join("#   " + line for line in config_json.splitlines()),
        "SEED": repr(settings.seed),
        "TOTAL_STEPS": repr(plan.total_steps),
        "BATCH_SIZE": repr(plan.batch_size),
        "EVAL_EVERY": repr(settings.eval_every),
        "TRACED": repr(traced),
        "CLIP_GRAD_VALUE": repr(settings.clip_grad_value),
        "CLIP_GRAD_NORM": repr(settings.clip_grad_norm),
        "EARLY_STOPPING": repr(settings.early_stopping.model_dump() if settings.early_stopping else None),
        "DEVICE": repr(settings.device),
        "DETERMINISTIC": repr(settings.deterministic),
        "OPTIMIZER": _optimizer_code(optimizer, model, plan.names["optimizer"]),
        "PENALTY": _penalty_code(plan, model),
        # the optimizer's knobs by step; a probe switch changes nothing the script computes
        "STEERS": repr(_steers(settings)),
        "BLOBS": _blobs({"data": buffer.getvalue(), "model": model_bytes, "losses": loss_bytes, "predict": predict}),
    }


def _steers(settings: TrainSettings) -> dict[int, dict[str, float]]:
    """The optimizer's knobs by step (two steers at one step merged, the later winning, as the trainer applies them)."""
    by_step: dict[int, dict[str, float]] = {}
    for spec in settings.steers:
        knobs = {k: v for k, v in spec.values().items() if k != "probes"}
        if knobs:
            by_step.setdefault(spec.step, {}).update(knobs)
    return by_step


@torch.no_grad()
def _eval_output(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    probe = copy.deepcopy(model).eval()  # a copy: nothing here may touch the weights or the running stats
    return torch.cat([probe(x[i : i + EVAL_CHUNK]) for i in range(0, len(x), EVAL_CHUNK)])


def _is_literal(value: Any) -> bool:
    try:
        return ast.literal_eval(repr(value)) == value
    except (ValueError, SyntaxError):
        return False


def _optimizer_code(optimizer: torch.optim.Optimizer, model: nn.Module, name: str) -> str:
    """`torch.optim.X(parameters, k=v, ...)` from the built optimizer's defaults, checked by rebuilding it."""
    optimizer = as_torch(optimizer)
    cls = type(optimizer)
    if getattr(torch.optim, cls.__name__, None) is not cls:
        raise ExportError(f"optimizer '{name}' is not a torch.optim class ({cls.__qualname__})")
    group = optimizer.param_groups
    if len(group) != 1 or [id(p) for p in group[0]["params"]] != [id(p) for p in model.parameters()]:
        raise ExportError(f"optimizer '{name}' splits the parameters into groups; the script has one")
    kwargs = {k: v for k, v in optimizer.defaults.items() if _is_literal(v)}
    rebuilt = cls([nn.Parameter(torch.zeros(1))], **kwargs)
    if _settings(rebuilt) != _settings(optimizer):
        raise ExportError(f"optimizer '{name}' has settings the script cannot write out: {optimizer.defaults}")
    args = "".join(f", {k}={v!r}" for k, v in kwargs.items())
    return f"torch.optim.{cls.__name__}(parameters{args})"


def _settings(optimizer: torch.optim.Optimizer) -> str:
    return repr({k: v for k, v in optimizer.param_groups[0].items() if k != "params"})


def _penalty_code(plan: Plan, model: nn.Module) -> str:
    if "regularization" not in plan.names:
        return "penalty = None  # no explicit penalty term"
    name, params = plan.names["regularization"], plan.params["regularization"]
    code = regularizers[name].meta.get("export_code")
    if code is None:
        raise ExportError(f"regularization '{name}' has no code in the exported script")
    expression = code.format(**params.model_dump())
    # the written line must give what the registry's penalty gives, to the last bit
    weights = [p for p in model.parameters() if p.dim() > 1]
    expected = regularizers[name].build(params)(model)
    written = eval(expression, {"weights": weights})  # noqa: S307  (our own template, filled with repr'd floats)
    if not torch.equal(torch.as_tensor(written), torch.as_tensor(expected)):
        raise ExportError(f"regularization '{name}' no longer matches the exporter's code for it")
    return f"def penalty(weights):\n    return {expression}"


def _blobs(parts: dict[str, Any]) -> str:
    def text(raw: bytes) -> str:
        return '"""\n' + base64.encodebytes(zlib.compress(raw, 9)).decode("ascii") + '"""'

    def render(value: Any, indent: str) -> str:
        if isinstance(value, bytes):
            return text(value)
        inner = "".join(f"{indent}    {k!r}: {render(v, indent + '    ')},\n" for k, v in value.items())
        return "{\n" + inner + indent + "}"

    return render(parts, "")


def _render(fields: dict[str, str]) -> str:
    # one pass: text put in (a run name in the config comment) is never searched for placeholders again
    return re.sub(r"\{\{(\w+)\}\}", lambda match: fields[match.group(1)], TEMPLATE.read_text())
