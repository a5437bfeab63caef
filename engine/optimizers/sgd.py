"""Gradient descent and its momentum variants: torch.optim.SGD's fused kernel, called lean (engine/optimizers/_lean.py):
one call steps every weight, on the CPU as on a GPU."""

from __future__ import annotations

from pydantic import Field

from engine.optimizers import LRParams, optimizers


class SGDParams(LRParams):
    lr: float = Field(0.1, gt=0.0, le=10.0, description="learning rate η")


class MomentumParams(SGDParams):
    momentum: float = Field(0.9, ge=0.0, lt=1.0, description="λ: how much of the last step is kept")


class DampenedMomentumParams(MomentumParams):
    dampening: float = Field(
        0.0, ge=0.0, le=1.0,
        description="d: the gradient enters as (1−d)·g; 0 = heavy ball, 1−λ = the notes' average v = βv + (1−β)g",
    )


@optimizers.add(
    "sgd", SGDParams, "plain gradient descent; batch size 1 = SGD, 'full' = BGD, n = mini-batch",
    formula=r"\theta \leftarrow \theta - \eta\, g", elementwise=True,
)
def sgd(params: SGDParams, parameters):
    from engine.optimizers._lean import LeanSGD, fusable

    parameters, fused = fusable(parameters)
    return LeanSGD(parameters, lr=params.lr, weight_decay=params.weight_decay, fused=fused)


@optimizers.add(
    "momentum", DampenedMomentumParams,
    "heavy ball: a velocity accumulates past gradients; λ=0 is plain SGD. Dampening 0 is PyTorch's form, whose v "
    "has no (1−β) (its lr equals the notes' η·(1−β)); dampening 1−λ gives the notes' v = βv + (1−β)g",
    formula=r"v \leftarrow \lambda v + (1-d)\,g,\quad \theta \leftarrow \theta - \eta v", elementwise=True,
)
def momentum(params: DampenedMomentumParams, parameters):
    from engine.optimizers._lean import LeanSGD, ZeroStartSGD, fusable

    cls = ZeroStartSGD if params.dampening > 0 else LeanSGD
    parameters, fused = fusable(parameters)
    return cls(parameters, lr=params.lr, momentum=params.momentum, dampening=params.dampening,
               weight_decay=params.weight_decay, fused=fused)


@optimizers.add(
    "nesterov", MomentumParams, "Nesterov momentum: the gradient is taken at the look-ahead point",
    formula=r"v \leftarrow \lambda v + g,\quad \theta \leftarrow \theta - \eta (g + \lambda v)", elementwise=True,
)
def nesterov(params: MomentumParams, parameters):
    from engine.optimizers._lean import LeanSGD, fusable

    parameters, fused = fusable(parameters)
    return LeanSGD(parameters, lr=params.lr, momentum=params.momentum, nesterov=True,
                   weight_decay=params.weight_decay, fused=fused)
