"""Inside sequence models for one probe sequence: a Transformer's attention per head, an LSTM's or GRU's gates.

The gates are computed from the first recurrent layer's own weights on the input that layer received, step by
step as PyTorch defines them (forward direction), so what is drawn is exactly what the layer computes.
"""

from __future__ import annotations

from pydantic import Field

from engine.lazy import torch
from engine.probes import ProbeContext, probes
from engine.probes.common import SampleParams, evaluating, probe_input
from engine.probes.png import atlas, round_sig

GATE_NAMES = {"LSTM": ("i", "f", "g", "o"), "GRU": ("r", "z", "n")}


class GateParams(SampleParams):
    max_units: int = Field(64, ge=1, le=1024, description="hidden units drawn per gate (the first ones)")


def _sequence_kinds(info) -> bool:
    return info.kind in ("sequence", "signal", "tagging")


def _tokens(ctx: ProbeContext, x: torch.Tensor) -> list[float]:
    """The probe sequence's first feature over time, in the data's own units."""
    raw = x * ctx.data.std + ctx.data.mean
    first = raw[0, 0, :] if ctx.data.info.kind == "signal" else raw[0, :, 0]
    return [round_sig(v, 4) for v in first.float().cpu().tolist()]


@probes.add(
    "attention", SampleParams, "a Transformer's attention weights per head (last layer) for one validation sequence",
    applies=_sequence_kinds, default=True,
    formula=r"A_h = \mathrm{softmax}\!\left(\frac{Q_h K_h^\top}{\sqrt{d_k}}\right),\ \text{rows sum to } 1",
)
def attention(params: SampleParams, ctx: ProbeContext):
    x = probe_input(ctx, params.sample)
    tokens = _tokens(ctx, x)

    def read(model, step: int):
        if not hasattr(model, "attention_maps"):
            return None  # not a Transformer: nothing to read, and nothing is sent
        with evaluating(model):
            weights = model.attention_maps(x)[0]  # (heads, T, T), each row sums to 1
        return {"heads": weights.shape[0], "tokens": tokens, **atlas(weights)}

    return read


def recurrent_gates(core: torch.nn.RNNBase, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
    """Gate activations (T, hidden) of the first layer's forward direction for the first sequence of `inputs`."""
    seq = inputs[0] if core.batch_first else inputs[:, 0]
    hidden = core.hidden_size
    w_ih, w_hh = core.weight_ih_l0, core.weight_hh_l0
    b_ih = core.bias_ih_l0 if core.bias else torch.zeros(w_ih.shape[0], device=seq.device)
    b_hh = core.bias_hh_l0 if core.bias else torch.zeros(w_hh.shape[0], device=seq.device)
    from_input = seq @ w_ih.T + b_ih  # every step's input part at once
    h = torch.zeros(hidden, device=seq.device)
    c = torch.zeros(hidden, device=seq.device)
    names = GATE_NAMES[type(core).__name__]
    rows: dict[str, list[torch.Tensor]] = {name: [] for name in (*names, "h")}
    for t in range(len(seq)):
        if isinstance(core, torch.nn.LSTM):
            i, f, g, o = (from_input[t] + h @ w_hh.T + b_hh).chunk(4)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            c = f * c + i * g
            h = o * torch.tanh(c)
            step_gates = (i, f, g, o)
        else:
            r_i, z_i, n_i = from_input[t].chunk(3)
            r_h, z_h, n_h = (h @ w_hh.T + b_hh).chunk(3)
            r, z = torch.sigmoid(r_i + r_h), torch.sigmoid(z_i + z_h)
            n = torch.tanh(n_i + r * n_h)
            h = (1 - z) * n + z * h
            step_gates = (r, z, n)
        for name, value in zip(names, step_gates, strict=True):
            rows[name].append(value)
        rows["h"].append(h)
    return {name: torch.stack(values) for name, values in rows.items()}


@probes.add(
    "gates", GateParams, "an LSTM's input/forget/cell/output gates (a GRU's reset/update/new) over one sequence; "
    "a GRU's z is PyTorch's (near 1 keeps the old state: the notes' z is 1 − z)",
    applies=_sequence_kinds, default=True,
    formula=r"i_t, f_t, g_t, o_t\ \text{(LSTM)};\ r_t, z_t, n_t\ \text{(GRU)}",
)
def gates(params: GateParams, ctx: ProbeContext):
    x = probe_input(ctx, params.sample)
    tokens = _tokens(ctx, x)

    def read(model, step: int):
        core = next((m for m in model.modules() if isinstance(m, (torch.nn.LSTM, torch.nn.GRU))), None)
        if core is None or core.proj_size:
            return None  # no gated recurrent layer (or a projected LSTM, whose h is not the gates' width)
        seen: list[torch.Tensor] = []
        hook = core.register_forward_pre_hook(lambda _m, args: seen.append(args[0]))
        try:
            with evaluating(model):
                model(x)
                found = recurrent_gates(core, seen[0])
        finally:
            hook.remove()
        names = list(found)
        maps = torch.stack([found[name][:, : params.max_units].T for name in names])  # (gates, units, T)
        means = {name: [round_sig(v, 4) for v in found[name].mean(1).tolist()] for name in names if name != "h"}
        return {"cell": type(core).__name__, "gates": names, "means": means, "tokens": tokens, **atlas(maps)}

    return read
