"""torch's fused Adam, AdamW and SGD kernels, called without torch.optim's per-call bookkeeping.

The torch-side half of sgd.py and adaptive.py, which import it inside their build functions: a module whose name
starts with `_` is not loaded by the registry scan, so the web process (which imports sgd.py for its settings)
never loads torch for it.

torch.optim's step() wraps the kernel in hooks, a profiler range, per-call argument checks and a regrouping of the
tensors by device and dtype: on the moons MLP that is ~150 µs a step around a 14 µs kernel. These subclasses call
the same kernel on the same state tensors, so results, state_dict and checkpoints are those of torch's fused path;
the first step (which creates the state) and anything unusual (a missing grad, a hook) go through torch's own step.
"""

from __future__ import annotations

import inspect

import torch

# how torch steps, not what: a twin of an optimizer leaves these to torch's defaults
IMPLEMENTATION = ("foreach", "fused", "capturable", "differentiable")


def fusable(parameters) -> tuple[list[torch.Tensor], bool | None]:
    """The parameters as a list, and the `fused` flag for them: True on the CPU and CUDA (torch's fused Adam and SGD
    kernels cover both, so a checkpoint moves between them), else None (torch's own choice, e.g. on `meta`)."""
    params = list(parameters)
    return params, (True if all(p.device.type in ("cpu", "cuda") and p.is_floating_point() for p in params) else None)


class LeanStep:
    """Mixin over a torch.optim class built with fused=True (else it steps as torch does): `kernel` steps one param
    group."""

    param_groups: list[dict]
    state: dict

    def kernel(self, group: dict, params: list[torch.Tensor], grads: list[torch.Tensor], states: list[dict]) -> None:
        raise NotImplementedError

    def ready(self, group: dict, states: list[dict]) -> bool:
        """Whether torch's step has created what the kernel reads."""
        return all(states)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        work = []
        for group in self.param_groups:
            params = group["params"]
            grads = [p.grad for p in params]
            states = [self.state.get(p) for p in params]  # no entry is made for a weight without state
            if (not group["fused"] or any(g is None for g in grads) or not self.ready(group, states)
                    or self.has_hooks()):
                self.torch_step()  # steps every group
                return loss
            work.append((group, params, grads, states))
        for group, params, grads, states in work:
            self.kernel(group, params, grads, states)
        return loss

    # torch.optim wraps a class's step() in its hook-and-profiler wrapper (~30 µs a call) unless it is marked as
    # wrapped already; a step with hooks registered goes to torch_step, which runs them
    step.hooked = True  # type: ignore[attr-defined]

    def has_hooks(self) -> bool:
        from torch.optim.optimizer import _global_optimizer_post_hooks, _global_optimizer_pre_hooks

        return bool(self._optimizer_step_pre_hooks or self._optimizer_step_post_hooks  # type: ignore[attr-defined]
                    or _global_optimizer_pre_hooks or _global_optimizer_post_hooks)

    def torch_step(self) -> None:
        """torch's own step with its hooks (its class is wrapped only once a plain instance of it was made)."""
        step = super().step  # type: ignore[misc]
        if getattr(step, "hooked", False):
            step()
        else:
            torch.optim.Optimizer.profile_hook_step(step.__func__)(self)

    def zero_grad(self, set_to_none: bool = True) -> None:
        if not set_to_none:
            return super().zero_grad(set_to_none)  # type: ignore[misc]
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None


class LeanAdam(LeanStep, torch.optim.Adam):
    def ready(self, group: dict, states: list[dict]) -> bool:
        return all(states) and not group["amsgrad"] and not group["maximize"] and not torch.is_tensor(group["lr"])

    def kernel(self, group: dict, params: list[torch.Tensor], grads: list[torch.Tensor], states: list[dict]) -> None:
        steps = [s["step"] for s in states]
        torch._foreach_add_(steps, 1)
        decoupled = group.get("decoupled_weight_decay", isinstance(self, torch.optim.AdamW))
        fused = torch._fused_adamw_ if decoupled else torch._fused_adam_
        beta1, beta2 = group["betas"]
        fused(params, grads, [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states], [], steps,
              amsgrad=False, lr=group["lr"], beta1=beta1, beta2=beta2, weight_decay=group["weight_decay"],
              eps=group["eps"], maximize=False, grad_scale=None, found_inf=None)


class LeanAdamW(LeanAdam, torch.optim.AdamW):
    pass


class LeanSGD(LeanStep, torch.optim.SGD):
    def ready(self, group: dict, states: list[dict]) -> bool:
        # plain SGD keeps no state; with momentum the buffers exist from the first step on
        return (group["momentum"] == 0 or all(states)) and not group["maximize"] and not torch.is_tensor(group["lr"])

    def kernel(self, group: dict, params: list[torch.Tensor], grads: list[torch.Tensor], states: list[dict]) -> None:
        momentum = group["momentum"]
        buffers = [s["momentum_buffer"] for s in states] if momentum != 0 else []
        torch._fused_sgd_(params, grads, buffers, weight_decay=group["weight_decay"], momentum=momentum,
                          lr=group["lr"], dampening=group["dampening"], nesterov=group["nesterov"], maximize=False,
                          is_first_step=False, grad_scale=None, found_inf=None)


class ZeroStartSGD(LeanSGD):
    """SGD whose velocity starts at 0, as the notes' v = βv + (1−β)g does. torch.optim.SGD starts it at g itself
    (no dampening on the first step), which is the same thing only when dampening is 0."""

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if "momentum_buffer" not in self.state[p]:
                    self.state[p]["momentum_buffer"] = torch.zeros_like(p)
        return super().step(closure)

    step.hooked = True  # type: ignore[attr-defined]  (LeanSGD's step runs the hooks: see LeanStep)


def torch_twin(optimizer: torch.optim.Optimizer, params, fused: bool | None = None) -> torch.optim.Optimizer:
    """torch's own class of `optimizer` with its hyperparameters, over `params`: the optimizer a hand-written loop
    builds (fused None leaves foreach or fused to torch's default, as a person's code does)."""
    torch_class = next(c for c in type(optimizer).__mro__ if c.__module__.startswith("torch.optim."))
    accepted = inspect.signature(torch_class).parameters
    settings = {k: v for k, v in optimizer.defaults.items() if k in accepted and k not in IMPLEMENTATION}
    if "fused" in accepted:
        settings["fused"] = fused
    return torch_class(params, **settings)


def as_torch(optimizer: torch.optim.Optimizer) -> torch.optim.Optimizer:
    """A lean optimizer as the torch.optim class whose fused step it runs (same settings, same numbers, its own
    weights); any other optimizer as it is. For code written out for plain PyTorch (engine/export.py)."""
    if type(optimizer) not in (LeanAdam, LeanAdamW, LeanSGD):
        return optimizer
    return torch_twin(optimizer, optimizer.param_groups[0]["params"], fused=optimizer.defaults["fused"])
