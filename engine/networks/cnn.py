"""The CNN builder: conv layers (1-D for signals, 2-D for images, 3-D for volumes), pooling, norm, dropout, FC head."""

from __future__ import annotations

from pydantic import Field, model_validator

from engine.datasets import DataInfo
from engine.lazy import torch
from engine.manifold_mixup import inputs_of_later_layers
from engine.networks import networks
from engine.networks.activations import ActivationName
from engine.networks.conv import Padding, PoolName, Stack
from engine.networks.mlp import Width, fc_layers
from engine.networks.norms import NORM_HELP, NormName, ReadsOldBatchNorm
from engine.registry import Params

CONV_INPUTS = ["image", "signal", "volume"]


class ConvLayer(Params):
    channels: int = Field(16, ge=1, le=512, description="output channels (number of kernels)")
    kernel_size: int = Field(3, ge=1, le=15, description="F: kernel width (square in 2-D)")
    stride: int = Field(1, ge=1, le=8, description="S: step between kernel positions")
    padding: Padding = Field("same", description="'same' keeps ⌈W/S⌉, 'valid' pads nothing, or P cells")
    pool: PoolName | None = Field(None, description="pooling after this layer; none given: the network's pool")

    @model_validator(mode="after")
    def _same_needs_odd(self) -> ConvLayer:
        if self.padding == "same" and self.stride > 1 and self.kernel_size % 2 == 0:
            raise ValueError("'same' padding with stride > 1 needs an odd kernel_size")
        return self


class CNNParams(ReadsOldBatchNorm):
    conv_layers: list[ConvLayer] = Field(
        default_factory=lambda: [ConvLayer(channels=16), ConvLayer(channels=32), ConvLayer(channels=32)],
        min_length=1, max_length=12,
        description="convolutions in order; each is followed by the norm, the activation and a pool",
    )
    pool: PoolName = Field("max", description="pooling after each conv layer (skipped once a map is 1 cell)")
    pool_size: int = Field(2, ge=2, le=4, description="pooling window and stride")
    norm: NormName = Field("none", description=NORM_HELP + " after each convolution")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="drop probability p in the fully connected head "
                           "(keep_prob = 1 − p)")
    activation: ActivationName = Field("relu", description="non-linearity after each conv and hidden layer")
    hidden_layers: list[Width] = Field(
        [64], max_length=8, description="widths of the fully connected head before the output layer"
    )


def _sized(info: DataInfo) -> dict[str, str]:
    """Batch norm on volumes: a 3-D kernel sees 27 inputs per channel where a 2-D one sees 9, so Adam's first steps
    (±lr on every weight) move a conv's outputs several times their initial scale, whole channels turn negative
    everywhere and their ReLUs die; at lr 1e-2 with no norm, 3 of 8 seeds stayed at chance on `volumes`. Batch norm
    recentres each channel on every batch, so none can stay off."""
    return {"norm": "batch"} if info.kind == "volume" else {}


def conv_body(params: CNNParams, info: DataInfo) -> Stack:
    stack = Stack(info.input_shape)
    for layer in params.conv_layers:
        # batch norm subtracts each channel's mean: a bias before it would be learned for nothing
        stack.conv(layer.channels, layer.kernel_size, layer.stride, layer.padding, bias=params.norm != "batch")
        stack.norm(params.norm).act(params.activation).pool(layer.pool or params.pool, params.pool_size)
    return stack


@networks.add(
    "cnn", CNNParams, "convolutional network builder: conv layers (1-D, 2-D or 3-D as the data is), pooling, "
    "batch or layer norm, a fully connected head",
    accepts=CONV_INPUTS, batchable=True, mixup_points=inputs_of_later_layers, sized=_sized,
    formula=r"h = \mathrm{pool}(\sigma(W * x + b)),\ "
    r"W_{out} = \left\lfloor\frac{W - F + 2P}{S}\right\rfloor + 1",
)
def cnn(params: CNNParams, info: DataInfo, out_features: int) -> torch.nn.Module:
    stack = conv_body(params, info)
    head = fc_layers(stack.features, params.hidden_layers, out_features, params.activation, dropout=params.dropout)
    return torch.nn.Sequential(*stack.layers, torch.nn.Flatten(), *head)
