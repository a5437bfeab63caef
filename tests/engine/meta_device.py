"""The meta device as a stand-in GPU, so the CPU suite catches device mistakes (a tensor left on the host).

PyTorch checks devices on only some meta ops (a CPU tensor indexed by meta indices passes), and a meta tensor has
no values to read. `MetaDevice`, a dispatch mode, makes meta behave as CUDA does where placement matters:
- an op mixing a meta tensor with a CPU tensor raises, unless the CPU one is a 0-d scalar in an op that is not
  given a list of tensors (CUDA accepts CPU scalars in elementwise ops, not in stack or cat); `GeneratorCheck`
  raises when a generator draws numbers for another device than its own;
- a host read of a meta tensor (.item(), .tolist(), .cpu()) answers zeros, so a run goes on past it; it is
  counted in `syncs`, with the blocking host → device copies and the ops that wait for values (nonzero, unique,
  boolean masks), which make a GPU's host wait too.
`torch.Generator(device="meta")` is refused by PyTorch; `meta_device` puts `MetaGenerator` in its place.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator

import pytest
import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves, tree_map

aten = torch.ops.aten
META = torch.device("meta")
REAL_GENERATOR = torch.Generator


class MetaGenerator(REAL_GENERATOR):
    """`torch.Generator(device="meta")`: a CPU generator underneath (its state saves and loads), marked as meta."""

    def __new__(cls, device: str | torch.device = "cpu"):
        meta = torch.device(device).type == "meta"
        generator = super().__new__(cls, "cpu" if meta else device)
        generator.meta = meta
        return generator


def _generator_device(generator: torch.Generator) -> str:
    return "meta" if getattr(generator, "meta", False) else generator.device.type


def _zero(tensor: torch.Tensor) -> torch.Tensor:
    return torch.zeros(tensor.shape, dtype=tensor.dtype)


def _as_meta(value):
    return torch.empty(value.shape, dtype=value.dtype, device=META) if isinstance(value, torch.Tensor) else value


def _is_meta(device) -> bool:
    return device is not None and torch.device(device).type == "meta"


class MetaDevice(TorchDispatchMode):
    """Meta tensors play a GPU's: placement checked on every op, host reads answered with zeros and counted."""

    def __init__(self) -> None:
        super().__init__()
        self.syncs: Counter[str] = Counter()
        self.meta_ops = 0  # proof that the code under test did run on the stand-in device

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        tensors = [t for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor)]
        on_meta = [t for t in tensors if t.is_meta]
        if not on_meta and not _is_meta(kwargs.get("device")):
            return func(*args, **kwargs)
        self.meta_ops += 1
        if kwargs.get("generator") is not None:
            kwargs = {**kwargs, "generator": None}  # meta draws nothing (GeneratorCheck checks the generator)
        if func is aten._to_copy.default or func is aten.copy_.default:
            return self._transfer(func, args, kwargs, tensors)
        self._check_devices(func, args, tensors)
        if func is aten._local_scalar_dense.default:  # .item(), float(t), bool(t)
            self.syncs[".item()"] += 1
            return _zero(args[0]).item()
        if torch.Tag.data_dependent_output in func.tags or (torch.Tag.dynamic_output_shape in func.tags and (
                func is not aten.index.Tensor or any(i is not None and i.dtype == torch.bool for i in args[1]))):
            self.syncs[f"{func.overloadpacket.__name__} (waits for values)"] += 1
        if not on_meta or func.is_view or torch.Tag.inplace_view in func.tags or "out" in kwargs:
            return func(*args, **kwargs)  # factories, views, shape changes in place: meta's own kernels are exact
        return self._on_host(func, args, kwargs)

    def _transfer(self, func, args, kwargs, tensors):
        """.to(device), .cpu(), copy_: a host read answers zeros; a blocking host → device copy waits too."""
        target = args[0] if func is aten.copy_.default else None
        to_host = (target is not None and not target.is_meta) or (
            target is None and not _is_meta(kwargs.get("device") or args[0].device))
        if to_host:
            self.syncs["device → host copy"] += 1
            return target if target is not None else _zero(args[0]).to(kwargs.get("dtype") or args[0].dtype)
        blocking = not (kwargs.get("non_blocking") or (func is aten.copy_.default and len(args) > 2 and args[2]))
        if blocking and any(not t.is_meta and t.dim() > 0 for t in tensors):
            self.syncs["blocking host → device copy"] += 1
        return func(*args, **kwargs)

    @staticmethod
    def _on_host(func, args, kwargs):
        """The op on zeros of the same shapes on the CPU, answered with meta tensors of the result's shapes: for the
        small tensors of these tests this takes microseconds, where meta's kernels written in Python take
        milliseconds (zeros can be values an op refuses, such as a singular matrix: then meta's kernel decides)."""
        host = tree_map(lambda a: _zero(a) if isinstance(a, torch.Tensor) and a.is_meta else a, (args, kwargs))
        try:
            out = func(*host[0], **host[1])
        except Exception:
            return func(*args, **kwargs)
        if torch.Tag.inplace in func.tags:
            return args[0]
        return tree_map(_as_meta, out)

    @staticmethod
    def _check_devices(func, args, tensors: list[torch.Tensor]) -> None:
        listed = any(isinstance(a, (list, tuple)) and any(isinstance(t, torch.Tensor) for t in a) for a in args)
        host = [t for t in tensors if not t.is_meta and (listed or t.dim() > 0)]
        if host:
            shapes = ", ".join(f"{t.device.type}{list(t.shape)}" for t in tensors)
            raise AssertionError(f"{func}: a tensor left on the CPU meets the device's ({shapes})")


class GeneratorCheck(TorchFunctionMode):
    """A generator must live where the numbers it draws go (CUDA refuses a CPU generator for GPU numbers). Checked
    above the dispatcher, where a MetaGenerator is still itself and not a plain CPU generator."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        generator = kwargs.get("generator")
        if generator is not None:
            drawn = {t.device.type for t in tree_leaves(out) if isinstance(t, torch.Tensor)}
            home = _generator_device(generator)
            if drawn - {home}:
                raise AssertionError(f"{func.__name__}: a {home} generator draws numbers on {', '.join(drawn)}")
        return out


@contextlib.contextmanager
def meta_device(monkeypatch: pytest.MonkeyPatch) -> Iterator[MetaDevice]:
    """Every run picks the meta device, generators may live there, and the guard watches every op."""
    from engine import devices

    monkeypatch.setattr(devices, "pick", lambda wanted: META)
    monkeypatch.setattr(torch, "Generator", MetaGenerator)
    with GeneratorCheck(), MetaDevice() as mode:
        yield mode
    assert mode.meta_ops, "nothing ran on the meta device: does the code still pick its device with devices.pick?"
