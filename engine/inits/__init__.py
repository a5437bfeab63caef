"""Weight initializers: each entry returns a function that re-initializes a model in place."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import Field

from engine.lazy import torch
from engine.registry import Params, Registry

initializers = Registry("initializer")


def _weights_and_biases(module: torch.nn.Module) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """The matrices an initializer sets and the biases it zeroes, for linear, conv, recurrent and attention layers."""
    nn = torch.nn
    if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        return [module.weight], [module.bias] if module.bias is not None else []
    if isinstance(module, nn.RNNBase):
        # every gate's input and recurrent matrix: a zero init of an LSTM is as symmetric as an MLP's
        named = dict(module.named_parameters(recurse=False))
        return ([p for n, p in named.items() if n.startswith("weight_")],
                [p for n, p in named.items() if n.startswith("bias_")])
    if isinstance(module, nn.MultiheadAttention) and module.in_proj_weight is not None:
        return [module.in_proj_weight], [module.in_proj_bias] if module.in_proj_bias is not None else []
    return [], []


def _apply(weight_fn: Callable[[torch.Tensor], None]) -> Callable[[torch.nn.Module], None]:
    """Apply weight_fn to every weight matrix or kernel, and zero the biases (as the notes do)."""

    @torch.no_grad()
    def init(model: torch.nn.Module) -> None:
        for module in model.modules():
            weights, biases = _weights_and_biases(module)
            for weight in weights:
                weight_fn(weight)
            for bias in biases:
                bias.zero_()

    return init


@initializers.add("default", description="PyTorch's own per-layer default (Kaiming-uniform with a=√5)",
                  formula=r"w, b \sim U\!\left(\pm\frac{1}{\sqrt{n_{in}}}\right)")
def default(params: Params) -> Callable[[torch.nn.Module], None]:
    return lambda model: None


@initializers.add("zeros", description="all weights 0: every unit of a layer stays identical (symmetry)",
                  formula=r"w = 0,\ b = 0", symmetric=True)
def zeros(params: Params):
    return _apply(torch.nn.init.zeros_)


class ConstantParams(Params):
    value: float = Field(0.1, ge=-10.0, le=10.0)


@initializers.add("constant", ConstantParams, "all weights the same value: symmetric like zeros",
                  formula=r"w = c,\ b = 0", symmetric=True)
def constant(params: ConstantParams):
    return _apply(lambda w: torch.nn.init.constant_(w, params.value))


class NormalParams(Params):
    std: float = Field(0.01, gt=0.0, le=10.0)


@initializers.add("small_normal", NormalParams, "N(0, 1)·0.01: small random weights (std sets the 0.01)",
                  formula=r"w \sim \sigma\,N(0,1),\ \sigma = \text{std}")
def small_normal(params: NormalParams):
    return _apply(lambda w: torch.nn.init.normal_(w, 0.0, params.std))


class UniformParams(Params):
    a: float = Field(0.05, gt=0.0, le=10.0, description="weights drawn from U(-a, a)")


@initializers.add("uniform", UniformParams, "uniform in [-a, a]", formula=r"w \sim U(-a, a)")
def uniform(params: UniformParams):
    return _apply(lambda w: torch.nn.init.uniform_(w, -params.a, params.a))


class GainParams(Params):
    gain: float = Field(1.0, gt=0.0, le=10.0)


@initializers.add("xavier_normal", GainParams,
                  "Glorot: std √(2/(n_in+n_out)), the fan-in and fan-out averaged; for tanh and sigmoid (the notes' "
                  "'Xavier' √(1/n) is LeCun's variant: lecun_normal)",
                  formula=r"w \sim N\!\left(0, \text{gain}^2\frac{2}{n_{in}+n_{out}}\right)")
def xavier_normal(params: GainParams):
    return _apply(lambda w: torch.nn.init.xavier_normal_(w, gain=params.gain))


@initializers.add("xavier_uniform", GainParams, "Glorot uniform: the same variance 2/(n_in+n_out)",
                  formula=r"w \sim U\!\left(\pm\,\text{gain}\sqrt{\frac{6}{n_{in}+n_{out}}}\right)")
def xavier_uniform(params: GainParams):
    return _apply(lambda w: torch.nn.init.xavier_uniform_(w, gain=params.gain))


# the fan-in family: std = gain/√n_in, the gain from the unit the layer feeds (kaiming with a linear gain is LeCun);
# each names its torch.nn.init function, looked up when a model is initialized
_FAN_IN = {
    "lecun_normal": ("kaiming_normal_", "linear", "LeCun: std √(1/n_in); what the notes call Xavier for tanh",
                     r"w \sim N\!\left(0, \frac{1}{n_{in}}\right)"),
    "lecun_uniform": ("kaiming_uniform_", "linear", "LeCun uniform: the same variance 1/n_in",
                      r"w \sim U\!\left(\pm\sqrt{\frac{3}{n_{in}}}\right)"),
    "kaiming_normal": ("kaiming_normal_", "relu", "He: variance 2/n_in; for ReLU",
                       r"w \sim N\!\left(0, \frac{2}{n_{in}}\right)"),
    "kaiming_uniform": ("kaiming_uniform_", "relu", "He uniform; for ReLU",
                        r"w \sim U\!\left(\pm\sqrt{\frac{6}{n_{in}}}\right)"),
}
for _name, (_fill, _unit, _text, _formula) in _FAN_IN.items():
    initializers.add(_name, description=_text, formula=_formula)(
        lambda params, fill=_fill, unit=_unit: _apply(lambda w: getattr(torch.nn.init, fill)(w, nonlinearity=unit))
    )


@initializers.add("orthogonal", GainParams, "a (semi-)orthogonal matrix per layer",
                  formula=r"W = \text{gain}\cdot Q,\ Q^\top Q = I\ (\text{QR of } N(0,1))")
def orthogonal(params: GainParams):
    return _apply(lambda w: torch.nn.init.orthogonal_(w, gain=params.gain))
