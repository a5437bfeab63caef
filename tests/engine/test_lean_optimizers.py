"""The lean optimizers (engine/optimizers/_lean.py) step exactly as torch's own fused step does (torch's twin of
each, through torch.optim's full path), hooks included, and a checkpoint taken from one continues in torch's."""

from __future__ import annotations

import pytest
import torch

from engine.optimizers import optimizers
from engine.optimizers._lean import LeanStep, torch_twin

KNOBS = {
    "sgd": {"lr": 0.1, "weight_decay": 0.01},
    "momentum": {"lr": 0.1, "momentum": 0.9},
    "momentum_dampened": {"lr": 0.1, "momentum": 0.9, "dampening": 0.1},
    "nesterov": {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01},
    "adam": {"lr": 0.01, "weight_decay": 0.01},
    "adamw": {"lr": 0.01, "weight_decay": 0.1},
}
STEPS = 15


def weights() -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    return [torch.randn(5, 3, generator=gen, requires_grad=True), torch.randn(5, generator=gen, requires_grad=True)]


def gradients(step: int, params: list[torch.Tensor]) -> None:
    gen = torch.Generator().manual_seed(100 + step)
    for p in params:  # depends on the weights, so a wrong step shows in every later one
        p.grad = torch.randn(p.shape, generator=gen) + p.detach() ** 3


def step_both(steps: range, first: tuple, second: tuple) -> None:
    """Each (optimizer, weights) pair steps on the same gradients; then both hold the same weights."""
    for step in steps:
        for optimizer, params in (first, second):
            gradients(step, params)
            optimizer.step()
    for a, b in zip(first[1], second[1], strict=True):
        assert torch.equal(a, b)


def build(case: str, params: list[torch.Tensor]) -> torch.optim.Optimizer:
    name = "momentum" if case == "momentum_dampened" else case
    return optimizers[name].build(optimizers[name].params(**KNOBS[case]), params)


@pytest.mark.parametrize("case", list(KNOBS))
def test_lean_step_equals_torchs_fused_step(case):
    lean_params, torch_params = weights(), weights()
    lean = build(case, lean_params)
    assert isinstance(lean, LeanStep)
    twin = torch_twin(lean, torch_params, fused=True)
    if case == "momentum_dampened":  # the notes' zero-start velocity: torch's twin starts it at 0 too
        for p in torch_params:
            twin.state[p]["momentum_buffer"] = torch.zeros_like(p)
    step_both(range(STEPS), (lean, lean_params), (twin, torch_params))


def test_lean_step_takes_the_kernel_after_the_first_step(monkeypatch):
    params = weights()
    optimizer = build("adam", params)
    gradients(0, params)
    optimizer.step()  # creates the state through torch's own step
    calls = []
    monkeypatch.setattr(torch.optim.Adam, "step", lambda *a, **k: calls.append(1))
    gradients(1, params)
    before = [p.detach().clone() for p in params]
    optimizer.step()
    assert not calls and not any(torch.equal(a, b) for a, b in zip(before, params, strict=True))


def test_registered_hooks_still_run():
    params = weights()
    optimizer = build("adam", params)
    seen = []
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: seen.append("pre"))
    optimizer.register_step_post_hook(lambda opt, args, kwargs: seen.append("post"))
    for step in range(3):
        gradients(step, params)
        optimizer.step()
    assert seen == ["pre", "post"] * 3


def test_a_lean_checkpoint_continues_in_torchs_optimizer():
    params, twin_params = weights(), weights()
    lean = build("adam", params)
    twin = torch_twin(lean, twin_params, fused=True)
    step_both(range(5), (lean, params), (twin, twin_params))
    resumed_params = [p.detach().clone().requires_grad_() for p in params]
    resumed = torch_twin(lean, resumed_params, fused=True)
    resumed.load_state_dict(lean.state_dict())
    step_both(range(5, 10), (resumed, resumed_params), (twin, twin_params))


def test_zero_grad_sets_grads_to_none():
    params = weights()
    optimizer = build("sgd", params)
    gradients(0, params)
    optimizer.zero_grad()
    assert all(p.grad is None for p in params)
