"""Recurrent networks: RNN (tanh), LSTM and GRU over a sequence, a linear head on the end state (many-to-one) or
on every step's output (many-to-many, for data sets that label each step).

A signal (C, L) is read as L time steps of C features, so MNIST-1D is 40 steps of one value.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from engine.datasets import DataInfo
from engine.lazy import torch
from engine.networks import networks
from engine.networks.sizing import outputs, power_of_two
from engine.registry import Params

SEQUENCE_INPUTS = ["sequence", "signal"]
OutputName = Literal["auto", "last", "mean", "sequence"]


class RecurrentParams(Params):
    hidden_size: int = Field(64, ge=1, le=1024, description="units in the hidden state h")
    num_layers: int = Field(1, ge=1, le=8, description="stacked recurrent layers")
    bidirectional: bool = Field(False, description="also read the sequence backwards")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout between stacked layers")
    output: OutputName = Field(
        "auto", description="many-to-one: the final hidden state ('last') or the mean of the outputs over time; "
        "many-to-many ('sequence'): a prediction at every step; 'auto' = 'sequence' where the data set labels "
        "every step, 'last' elsewhere",
    )


class RNNParams(RecurrentParams):
    nonlinearity: Literal["tanh", "relu"] = Field("tanh", description="activation of the hidden state")


def steps_and_features(info: DataInfo) -> tuple[int, int]:
    """(time steps, features per step) of a sequence (T, F) or a signal (C, L)."""
    first, second = info.input_shape
    return (second, first) if info.kind == "signal" else (first, second)


# name: (torch.nn class, params model, description, formula)
_CELLS = {
    "rnn": ("RNN", RNNParams, "Elman RNN: h = tanh(W x + U h); gradients vanish over long gaps",
            r"h_t = \tanh(W x_t + U h_{t-1} + b)"),
    "lstm": ("LSTM", RecurrentParams, "LSTM: input, forget and output gates guard a cell state",
             r"i,f,o = \sigma(W x_t + U h_{t-1} + b),\ g = \tanh(\cdot),\ "
             r"c_t = f_t \odot c_{t-1} + i_t \odot g_t,\ h_t = o_t \odot \tanh(c_t)"),
    "gru": ("GRU", RecurrentParams, "GRU: reset and update gates, no separate cell state. PyTorch's z keeps the "
            "old state; the notes' h = (1−z)⊙h + z⊙h̃ uses z for the new one (their z is 1 − z here)",
            r"r, z = \sigma(W x_t + U h_{t-1} + b),\ n_t = \tanh(W_n x_t + r_t \odot (U_n h_{t-1} + b_n)),\ "
            r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}"),
}
# measured: Adam at lr 1e-2 drives the plain RNN into saturation on 40-step MNIST-1D (chance accuracy); 1e-3 trains
SUGGESTED_LR = {"rnn": 1e-3}


def _output(asked: str, info: DataInfo) -> str:
    if asked == "auto":
        return "sequence" if info.per_step else "last"
    if info.per_step != (asked == "sequence"):
        need = "'sequence' (one prediction per step)" if info.per_step else "'last' or 'mean' (one per sequence)"
        raise ValueError(f"output '{asked}' does not match the labels: this data set needs {need}")
    return asked


def _builder(cell: str):
    """The build function of a network around torch.nn's `cell` class (RNN, LSTM or GRU)."""

    def build(params: RecurrentParams, info: DataInfo, out_features: int) -> torch.nn.Module:
        from engine.networks._recurrent import Recurrent

        _, features = steps_and_features(info)
        extra = {"nonlinearity": params.nonlinearity} if isinstance(params, RNNParams) else {}
        core = getattr(torch.nn, cell)(features, params.hidden_size, params.num_layers, batch_first=True,
                                       dropout=params.dropout if params.num_layers > 1 else 0.0,
                                       bidirectional=params.bidirectional, **extra)
        return Recurrent(core, info.kind == "signal", _output(params.output, info), out_features)

    return build


def _sized(info: DataInfo) -> dict[str, int]:
    """64 hidden units for a few features and outputs (parity, adding), 128 for MNIST-1D's 10 classes."""
    return {"hidden_size": power_of_two(16 * (steps_and_features(info)[1] + outputs(info)), 64, 128)}


for _name, (_cell, _params, _text, _formula) in _CELLS.items():
    _extra = {"suggested_lr": SUGGESTED_LR[_name]} if _name in SUGGESTED_LR else {}
    networks.add(_name, _params, _text, accepts=[*SEQUENCE_INPUTS, "tagging"], formula=_formula, sized=_sized,
                 **_extra)(_builder(_cell))
