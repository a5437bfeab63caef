"""Sequence tasks for recurrent nets and attention: sine forecasting, the adding problem, parity, per-step tagging."""

from __future__ import annotations

import math

from pydantic import Field

from engine.datasets import DataInfo, DatasetParams, datasets
from engine.lazy import torch


class SequenceParams(DatasetParams):
    n_samples: int = Field(2000, ge=20, le=100_000, description="sequences in all splits together")
    seq_len: int = Field(20, ge=2, le=500, description="time steps T per sequence")


class ForecastParams(SequenceParams):
    horizon: int = Field(1, ge=1, le=20, description="future values to predict")
    noise: float = Field(0.05, ge=0.0, le=2.0, description="std of the noise on the observed window")


class ParityParams(SequenceParams):
    seq_len: int = Field(8, ge=2, le=64, description="bits per sequence")


@datasets.add(
    "sine_forecast", ForecastParams, "a window of a noisy sine (random frequency and phase) → its next value(s)",
    info=lambda p: DataInfo("sequence", "regression", (p.seq_len, 1), p.n_samples, target_dim=p.horizon),
    kind="sequence", formula=r"x_t = \sin(\omega t + \phi) + \epsilon,\ y = x_{T+1 \dots T+h}",
)
def sine_forecast(params: ForecastParams, seed: int):
    gen = torch.Generator().manual_seed(seed)
    n, length = params.n_samples, params.seq_len + params.horizon
    omega = 0.15 + 0.35 * torch.rand(n, 1, generator=gen, dtype=torch.float64)  # 12 to 40 steps per period
    phase = 2 * math.pi * torch.rand(n, 1, generator=gen, dtype=torch.float64)
    clean = torch.sin(omega * torch.arange(length, dtype=torch.float64) + phase)
    window = clean[:, : params.seq_len] + params.noise * torch.randn(n, params.seq_len, generator=gen,
                                                                       dtype=torch.float64)
    # targets are the clean continuation: the best forecast then has a known loss of 0
    return window.unsqueeze(2).float(), clean[:, params.seq_len :].squeeze(1).float()


@datasets.add(
    "adding", SequenceParams, "the adding problem: sum the two values marked in a long sequence",
    info=lambda p: DataInfo("sequence", "regression", (p.seq_len, 2), p.n_samples, target_dim=1),
    kind="sequence", formula=r"y = v_i + v_j \text{ where } m_i = m_j = 1",
)
def adding(params: SequenceParams, seed: int):
    gen = torch.Generator().manual_seed(seed)
    n, length = params.n_samples, params.seq_len
    values = torch.rand(n, length, generator=gen)
    half = max(1, length // 2)
    # one mark in each half (Hochreiter & Schmidhuber): the net must remember across the gap
    first = torch.randint(0, half, (n,), generator=gen)
    second = torch.randint(half, length, (n,), generator=gen)
    marks = torch.zeros(n, length)
    rows = torch.arange(n)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    y = values[rows, first] + values[rows, second]
    return torch.stack([values, marks], 2), y


@datasets.add(
    "parity", ParityParams, "bit sequences: is the number of ones odd? (XOR of all bits)",
    info=lambda p: DataInfo("sequence", "classification", (p.seq_len, 1), p.n_samples, n_classes=2,
                            class_names=("even", "odd")),
    kind="sequence", formula=r"y = b_1 \oplus b_2 \oplus \dots \oplus b_T",
)
def parity(params: ParityParams, seed: int):
    gen = torch.Generator().manual_seed(seed)
    bits = torch.randint(0, 2, (params.n_samples, params.seq_len), generator=gen)
    return bits.unsqueeze(2).float(), bits.sum(1) % 2


class TaggingParams(SequenceParams):
    n_classes: int = Field(3, ge=2, le=6, description="k: each step is labelled with the count of ones so far mod k")
    noise: float = Field(0.2, ge=0.0, le=1.0, description="std of the noise on each bit")


@datasets.add(
    "sequence_tagging", TaggingParams,
    "many-to-many: label every step of a noisy bit sequence with the count of ones so far, modulo k",
    info=lambda p: DataInfo("tagging", "classification", (p.seq_len, 1), p.n_samples, n_classes=p.n_classes,
                            class_names=tuple(str(k) for k in range(p.n_classes))),
    kind="tagging", formula=r"y_t = \Big(\sum_{s \le t} b_s\Big) \bmod k",
)
def sequence_tagging(params: TaggingParams, seed: int):
    gen = torch.Generator().manual_seed(seed)
    bits = torch.randint(0, 2, (params.n_samples, params.seq_len), generator=gen)
    # the label needs the whole past, not the current input alone: a many-to-one net cannot fake it
    x = bits.float() + params.noise * torch.randn(bits.shape, generator=gen)
    return x.unsqueeze(2), bits.cumsum(1) % params.n_classes
