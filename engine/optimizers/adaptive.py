"""Optimizers with per-parameter step sizes: Adagrad, Adadelta, RMSprop and the Adam family."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from engine.lazy import torch
from engine.optimizers import LRParams, optimizers

Beta = Annotated[float, Field(ge=0.0, lt=1.0)]


class EpsParams(LRParams):
    eps: float = Field(1e-8, gt=0.0, le=1.0, description="ε keeps the division finite")


class AdadeltaParams(EpsParams):
    lr: float = Field(1.0, gt=0.0, le=10.0, description="scale on the computed step (1 = the paper's rule)")
    rho: float = Field(0.9, ge=0.0, lt=1.0, description="decay of the squared-gradient and squared-step windows")
    eps: float = Field(1e-6, gt=0.0, le=1.0, description="ε keeps the division finite")


class RMSpropParams(EpsParams):
    alpha: float = Field(0.99, ge=0.0, lt=1.0, description="β: decay of the squared-gradient average")


class AdamParams(EpsParams):
    lr: float = Field(0.001, gt=0.0, le=10.0, description="learning rate η")
    betas: tuple[Beta, Beta] = Field((0.9, 0.999), description="β1 (first moment), β2 (second moment)")


# the moments every member of the Adam family keeps; each entry's formula adds its own step
MOMENTS = (
    r"m \leftarrow \beta_1 m + (1-\beta_1) g,\ v \leftarrow \beta_2 v + (1-\beta_2) g^2,\ "
    r"\hat m = \frac{m}{1-\beta_1^t},\ \hat v = \frac{v}{1-\beta_2^t},\ "
)


@optimizers.add(
    "adagrad", EpsParams, "accumulates squared gradients: the step shrinks towards 0 late in training",
    formula=r"r \leftarrow r + g^2,\quad \theta \leftarrow \theta - \frac{\eta}{\sqrt{r}+\epsilon} g",
    elementwise=True,
)
def adagrad(params: EpsParams, parameters):
    return torch.optim.Adagrad(parameters, lr=params.lr, eps=params.eps, weight_decay=params.weight_decay)


@optimizers.add(
    "adadelta", AdadeltaParams, "a window of squared gradients and squared steps; needs no global lr",
    formula=r"E[g^2] \leftarrow \rho E[g^2] + (1-\rho) g^2,\ "
    r"\Delta\theta = -\frac{\sqrt{E[\Delta\theta^2]+\epsilon}}{\sqrt{E[g^2]+\epsilon}} g,\ "
    r"E[\Delta\theta^2] \leftarrow \rho E[\Delta\theta^2] + (1-\rho)\Delta\theta^2,\ "
    r"\theta \leftarrow \theta + \eta\,\Delta\theta",
    elementwise=True,
)
def adadelta(params: AdadeltaParams, parameters):
    return torch.optim.Adadelta(
        parameters, lr=params.lr, rho=params.rho, eps=params.eps, weight_decay=params.weight_decay
    )


@optimizers.add(
    "rmsprop", RMSpropParams, "exponential moving average of squared gradients; good for RNNs",
    formula=r"s \leftarrow \beta s + (1-\beta) g^2,\quad \theta \leftarrow \theta - \frac{\eta}{\sqrt{s}+\epsilon} g",
    elementwise=True,
)
def rmsprop(params: RMSpropParams, parameters):
    return torch.optim.RMSprop(
        parameters, lr=params.lr, alpha=params.alpha, eps=params.eps, weight_decay=params.weight_decay
    )


# the Adam family shares its knobs, so one loop registers them all; each names its torch.optim class (looked up when
# an optimizer is built: the web process imports this file for its settings and never loads torch)
_ADAM_FAMILY = {
    "adam": ("Adam", "RMSprop + momentum with bias correction; weight_decay adds λθ to g (L2)",
             MOMENTS + r"\theta \leftarrow \theta - \eta\frac{\hat m}{\sqrt{\hat v}+\epsilon}"),
    "adamw": ("AdamW", "Adam with decoupled weight decay: θ shrinks by ηλθ apart from the gradient",
              MOMENTS + r"\theta \leftarrow \theta - \eta\left(\frac{\hat m}{\sqrt{\hat v}+\epsilon}"
              r" + \lambda\theta\right)"),
    "nadam": ("NAdam", "Adam with Nesterov momentum: the step looks ahead with this step's gradient "
              "(PyTorch also warms β1 up: μ_t = β1(1 − ½·0.96^{0.004t}))",
              MOMENTS + r"\theta \leftarrow \theta - \frac{\eta}{\sqrt{\hat v}+\epsilon}"
              r"\left(\beta_1 \hat m + \frac{(1-\beta_1)\, g}{1-\beta_1^t}\right)"),
    "radam": ("RAdam", "rectified Adam: plain momentum steps until the variance of v̂ can be trusted "
              "(ρ_t > 5), then Adam's step times the rectification r_t",
              MOMENTS + r"\rho_t = \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t},\ "
              r"\theta \leftarrow \theta - \eta\, r_t \frac{\hat m}{\sqrt{\hat v}+\epsilon}\ (\rho_t > 5),\ "
              r"\theta - \eta\, \hat m\ \text{otherwise}"),
    "adamax": (
        "Adamax", "Adam with the infinity norm in place of the second moment",
        r"m \leftarrow \beta_1 m + (1-\beta_1) g,\ u \leftarrow \max(\beta_2 u, |g|+\epsilon),\ "
        r"\theta \leftarrow \theta - \frac{\eta}{1-\beta_1^t}\frac{m}{u}",
    ),
}


def _adam_like(name: str):
    def build(params: AdamParams, parameters):
        # torch's fused kernels (CPU and CUDA alike), called lean (engine/optimizers/_lean.py): 57 µs an Adam step on
        # the moons MLP against 484 µs for torch's default and 159 µs for torch's fused step; the others keep torch's
        # default (foreach on a GPU; foreach brought nothing on this CPU)
        from engine.optimizers._lean import LeanAdam, LeanAdamW, fusable

        lean = {"Adam": LeanAdam, "AdamW": LeanAdamW}.get(name)
        if lean is not None:
            parameters, fused = fusable(parameters)
            return lean(parameters, lr=params.lr, betas=params.betas, eps=params.eps,
                        weight_decay=params.weight_decay, fused=fused)
        return getattr(torch.optim, name)(parameters, lr=params.lr, betas=params.betas, eps=params.eps,
                                          weight_decay=params.weight_decay)

    return build


for _name, (_class_name, _text, _formula) in _ADAM_FAMILY.items():
    optimizers.add(_name, AdamParams, _text, formula=_formula, elementwise=True)(_adam_like(_class_name))
