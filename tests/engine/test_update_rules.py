"""The notes' update rules and lr formulas written in numpy; the real optimizers and schedules must agree."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from engine.optimizers import optimizers
from engine.schedules import build_factor, schedules

STEPS = 12
A = np.array([[3.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 0.3]])
B = np.array([1.0, -2.0, 0.5])
THETA0 = np.array([0.8, -0.3, 1.5])


def gradient(theta: np.ndarray) -> np.ndarray:
    """∇ of ½θᵀAθ − bᵀθ + ¼Σθ⁴: not quadratic, so every step sees a new gradient."""
    return A @ theta - B + theta**3


def momentum_rule(lr, momentum, nesterov=False, dampening=0.0):
    def run(theta):
        v = np.zeros_like(theta)
        for _ in range(STEPS):
            g = gradient(theta)
            v = momentum * v + (1 - dampening) * g  # v = λv + g; with dampening 1−β the notes' βv + (1−β)g
            theta = theta - lr * ((g + momentum * v) if nesterov else v)  # θ −= ηv
        return theta
    return run


def adagrad_rule(lr, eps):
    def run(theta):
        r = np.zeros_like(theta)
        for _ in range(STEPS):
            g = gradient(theta)
            r = r + g * g
            theta = theta - lr * g / (np.sqrt(r) + eps)
        return theta
    return run


def adadelta_rule(lr, rho, eps):
    def run(theta):
        eg2, edx2 = np.zeros_like(theta), np.zeros_like(theta)
        for _ in range(STEPS):
            g = gradient(theta)
            eg2 = rho * eg2 + (1 - rho) * g * g
            dx = np.sqrt(edx2 + eps) / np.sqrt(eg2 + eps) * g
            edx2 = rho * edx2 + (1 - rho) * dx * dx
            theta = theta - lr * dx
        return theta
    return run


def rmsprop_rule(lr, alpha, eps):
    def run(theta):
        s = np.zeros_like(theta)
        for _ in range(STEPS):
            g = gradient(theta)
            s = alpha * s + (1 - alpha) * g * g
            theta = theta - lr * g / (np.sqrt(s) + eps)
        return theta
    return run


def adam_rule(lr, beta1, beta2, eps):
    def run(theta):
        m, v = np.zeros_like(theta), np.zeros_like(theta)
        for t in range(1, STEPS + 1):
            g = gradient(theta)
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)  # bias correction
            theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        return theta
    return run


def sgd_rule(lr):
    return momentum_rule(lr, 0.0)


CASES = {
    "sgd": ({"lr": 0.05}, sgd_rule(0.05)),
    "momentum": ({"lr": 0.02, "momentum": 0.9}, momentum_rule(0.02, 0.9)),
    "momentum-averaged": ({"lr": 0.2, "momentum": 0.9, "dampening": 0.1}, momentum_rule(0.2, 0.9, dampening=0.1)),
    "nesterov": ({"lr": 0.02, "momentum": 0.8}, momentum_rule(0.02, 0.8, nesterov=True)),
    "adagrad": ({"lr": 0.1, "eps": 1e-8}, adagrad_rule(0.1, 1e-8)),
    "adadelta": ({"lr": 1.0, "rho": 0.9, "eps": 1e-6}, adadelta_rule(1.0, 0.9, 1e-6)),
    "rmsprop": ({"lr": 0.01, "alpha": 0.9, "eps": 1e-8}, rmsprop_rule(0.01, 0.9, 1e-8)),
    "adam": ({"lr": 0.05, "betas": (0.9, 0.999), "eps": 1e-8}, adam_rule(0.05, 0.9, 0.999, 1e-8)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_optimizer_follows_the_notes_rule(name):
    knobs, rule = CASES[name]
    name = name.split("-")[0]
    theta = torch.tensor(THETA0, dtype=torch.float64, requires_grad=True)
    optimizer = optimizers[name].build(optimizers[name].params(**knobs), [theta])
    a, b = torch.tensor(A), torch.tensor(B)
    for _ in range(STEPS):
        optimizer.zero_grad()
        (0.5 * theta @ a @ theta - b @ theta + 0.25 * (theta**4).sum()).backward()
        optimizer.step()
    expected = rule(THETA0.copy())
    assert not np.allclose(expected, THETA0)  # the rule moved θ: the comparison means something
    np.testing.assert_allclose(theta.detach().numpy(), expected, rtol=1e-5, atol=1e-5)


def _lrs(name: str, total: int, **knobs) -> list[float]:
    """The lr a real optimizer sees at each step under the schedule (through LambdaLR, as the trainer does)."""
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=0.5)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, build_factor(name, schedules[name].params(**knobs), total))
    seen = []
    for _ in range(total):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return seen


def test_inverse_time_decay():
    seen = _lrs("inverse_time", 50, decay_rate=0.7, decay_steps=5)
    np.testing.assert_allclose(seen, [0.5 / (1 + 0.7 * t / 5) for t in range(50)], rtol=1e-5)


def test_exponential_and_step_decay():
    np.testing.assert_allclose(_lrs("exponential", 30, gamma=0.8, decay_steps=4),
                               [0.5 * 0.8 ** (t / 4) for t in range(30)], rtol=1e-5)
    np.testing.assert_allclose(_lrs("step", 30, gamma=0.5, decay_steps=7),
                               [0.5 * 0.5 ** (t // 7) for t in range(30)], rtol=1e-5)


@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_one_cycle_matches_torch(strategy):
    knobs = {"pct_start": 0.25, "div_factor": 10.0, "final_div_factor": 100.0, "anneal_strategy": strategy}
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=0.5)
    reference = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.5, total_steps=40, **knobs)
    expected = []
    for step in range(40):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if step < 39:  # OneCycleLR refuses to step past total_steps
            reference.step()
    np.testing.assert_allclose(_lrs("one_cycle", 40, **knobs), expected, rtol=1e-5, atol=1e-12)


def test_plateau_matches_torch_reduce_on_plateau():
    val_losses = [1.0, 0.9, 0.9, 0.91, 0.95, 0.89, 0.9, 0.9, 0.9, 0.9, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6]
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=0.5)
    reference = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=2, cooldown=1)
    factor = build_factor("plateau", schedules["plateau"].params(factor=0.5, patience=2, cooldown=1), 100)
    ours, theirs = [], []
    for loss in val_losses:
        factor.observe(loss)
        reference.step(loss)
        ours.append(0.5 * factor(0))
        theirs.append(optimizer.param_groups[0]["lr"])
    assert min(theirs) < 0.5  # the sequence does trigger cuts
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_warmup_keeps_plateau_listening():
    factor = build_factor("plateau", schedules["plateau"].params(warmup_steps=3, patience=0, factor=0.5), 100)
    assert math.isclose(factor(0), 1 / 3)
    factor.observe(1.0)
    factor.observe(2.0)  # worse: patience 0 cuts at once
    assert math.isclose(factor(10), 0.5)
