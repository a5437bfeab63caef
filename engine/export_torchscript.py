"""TorchScript copies of a run's model, loss and prediction for the exported script, each checked against eager.

The model is scripted when it can be and traced otherwise; a trace records one mode's ops, so a traced model
holds train and eval mode as two methods. The loss is traced once per batch length it will see.
"""

from __future__ import annotations

import copy
import io
import logging
from collections.abc import Callable

import torch
from torch import nn

from engine.export_errors import ExportError
from engine.losses import Objective

log = logging.getLogger(__name__)


class _TwoModes(nn.Module):
    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.model.train()
        return self.model(x)

    def evaluate(self, x: torch.Tensor) -> torch.Tensor:
        self.model.eval()
        out = self.model(x)
        self.model.train()
        return out


class _Function(nn.Module):
    """A plain function (loss or predict) as a module, since only modules can be saved."""

    def __init__(self, fn: Callable[..., torch.Tensor]):
        super().__init__()
        self.fn = fn

    def forward(self, *args: torch.Tensor) -> torch.Tensor:
        return self.fn(*args)


def _save(module: torch.jit.ScriptModule) -> bytes:
    buffer = io.BytesIO()
    torch.jit.save(module, buffer)
    return buffer.getvalue()


def _load(raw: bytes) -> torch.jit.ScriptModule:
    return torch.jit.load(io.BytesIO(raw))


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:120] if text else ''}"


def _same(a: torch.Tensor | None, b: torch.Tensor | None, what: str) -> None:
    if a is None and b is None:
        return
    if a is None or b is None or a.shape != b.shape or not torch.allclose(a, b, rtol=1e-6, atol=1e-7):
        raise ExportError(f"the TorchScript copy gives another {what}")


def serialize_model(
    model: nn.Module, name: str, train_input: torch.Tensor, eval_inputs: list[torch.Tensor]
) -> tuple[bytes, bool]:
    """The model with its initial weights as TorchScript bytes, and whether it was traced (not scripted)."""
    reasons = []
    for traced in (False, True):
        try:
            module = _trace(model, train_input, eval_inputs[0]) if traced else torch.jit.script(copy.deepcopy(model))
            raw = _save(module)
            with torch.jit.optimized_execution(False):
                _check_model(model, _load(raw), traced, train_input, eval_inputs)
            return raw, traced
        except Exception as exc:  # noqa: BLE001  (any failure of one way means: try the next, then report both)
            reasons.append(f"{'trace' if traced else 'script'}: {_first_line(exc)}")
    raise ExportError(f"network '{name}' cannot be exported as TorchScript ({'; '.join(reasons)})")


def _trace(model: nn.Module, train_input: torch.Tensor, eval_input: torch.Tensor) -> torch.jit.ScriptModule:
    wrapper = _TwoModes(copy.deepcopy(model))
    initial = copy.deepcopy(wrapper.state_dict())
    traced = torch.jit.trace_module(wrapper, {"forward": train_input, "evaluate": eval_input}, check_trace=False)
    with torch.no_grad():  # tracing ran a train-mode forward: put the running statistics back
        for key, value in traced.state_dict().items():
            value.copy_(initial[key])
    return traced


def _check_model(
    model: nn.Module,
    candidate: torch.jit.ScriptModule,
    traced: bool,
    train_input: torch.Tensor,
    eval_inputs: list[torch.Tensor],
) -> None:
    """Same weights, buffers and parameter order; same train-mode output, gradients and buffer updates;
    same eval-mode output on every chunk the evaluation will feed it."""
    eager = copy.deepcopy(model)
    prefix = "model." if traced else ""

    def compare_state(when: str) -> None:
        ours = {prefix + k: v for k, v in eager.state_dict().items()}
        theirs = candidate.state_dict()
        if list(ours) != list(theirs):
            raise ExportError(f"the TorchScript copy names its weights differently {when}")
        for key, value in ours.items():
            _same(value.float(), theirs[key].float(), f"'{key}' {when}")

    compare_state("at the start")
    if [p.requires_grad for p in eager.parameters()] != [p.requires_grad for p in candidate.parameters()]:
        raise ExportError("the TorchScript copy freezes other weights")
    torch.manual_seed(0)  # the same dropout masks on both sides
    out = eager.train()(train_input)
    torch.manual_seed(0)
    theirs = candidate(train_input) if traced else candidate.train()(train_input)
    _same(out, theirs, "train-mode output")
    projection = torch.randn(out.shape, generator=torch.Generator().manual_seed(1))
    (out * projection).sum().backward()
    (theirs * projection).sum().backward()
    for (key, ours), other in zip(eager.named_parameters(), candidate.parameters(), strict=True):
        _same(ours.grad, other.grad, f"gradient for '{key}'")
    compare_state("after a train-mode step")
    with torch.no_grad():
        eager.eval()
        for x in eval_inputs:
            if traced:
                _same(eager(x), candidate.evaluate(x), "eval-mode output")
            else:
                _same(eager(x), candidate.eval()(x), "eval-mode output")


def serialize_loss(objective: Objective, name: str, output: torch.Tensor, target: torch.Tensor) -> bytes:
    """The loss traced for one batch length; checked in value and gradient on the real and a shuffled batch."""
    try:
        raw = _save(torch.jit.trace(_Function(objective.fn), (output, target), check_trace=False))
        loaded = _load(raw)
        generator = torch.Generator().manual_seed(2)
        shuffled = target[torch.randperm(len(target), generator=generator)]
        noise = 2 * torch.randn(output.shape, generator=generator)
        for out, y in ((output, target), (noise, shuffled)):
            ours, theirs = out.clone().requires_grad_(), out.clone().requires_grad_()
            expected, got = objective.fn(ours, y), loaded(theirs, y)
            _same(expected.detach(), got.detach(), "loss")
            expected.backward()
            got.backward()
            _same(ours.grad, theirs.grad, "loss gradient")
        return raw
    except ExportError as exc:
        raise ExportError(
            f"loss '{name}' cannot be exported: {exc} (a loss with state or its own generator does not survive tracing)"
        ) from exc
    except Exception as exc:  # noqa: BLE001
        raise ExportError(f"loss '{name}' cannot be traced for the script: {_first_line(exc)}") from exc


def serialize_predict(objective: Objective, outputs: dict[int, torch.Tensor]) -> dict[int, bytes]:
    """Class predictions traced per evaluated length, or {} (the script then reports no accuracy)."""
    if objective.predict is None:
        return {}
    found = {}
    try:
        for n, output in outputs.items():
            raw = _save(torch.jit.trace(_Function(objective.predict), (output,), check_trace=False))
            loaded = _load(raw)
            noise = 3 * torch.randn(output.shape, generator=torch.Generator().manual_seed(3))
            if not all(torch.equal(loaded(out), objective.predict(out)) for out in (output, noise)):
                return {}
            # a prediction blind to its input keeps state of its own (triplet's centroids): no trace holds that
            if n >= 8 and loaded(noise).unique().numel() < 2:
                return {}
            found[n] = raw
    except Exception as exc:  # noqa: BLE001  (accuracy is extra: the losses are reproduced without it)
        log.info("no accuracy in the exported script: %s", _first_line(exc))
        return {}
    return found
