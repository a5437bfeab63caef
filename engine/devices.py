"""Where a run computes: the device it picks, the numerics it asks of that device, and what a worker process
sets once for its GPU. Nothing here touches CUDA on a machine without one."""

from __future__ import annotations

import os

from engine.lazy import torch

# set by the worker pool (assign): this process's GPU and the share of its memory the process may take
_assigned = {"index": 0, "memory_fraction": None}
_prepared: set[int] = set()
# errors after which the CUDA context is unusable for every later job ("sticky" errors)
POISONING = ("CUDA error", "device-side assert", "CUBLAS_STATUS", "CUDNN_STATUS", "cuDNN error")


def pick(wanted: str) -> torch.device:
    """The device `train.device` names: "auto" is this process's GPU when there is one, else the CPU."""
    if wanted == "cuda" and not torch.cuda.is_available():
        raise ValueError("train.device is 'cuda', but this machine has no CUDA GPU that torch can use")
    if wanted in ("cuda", "auto") and torch.cuda.is_available():
        device = torch.device("cuda", _assigned["index"])
        _prepare(device)
        return device
    return torch.device("cpu")


def default() -> torch.device:
    """What "auto" picks in this process, found without creating a CUDA context."""
    return torch.device("cuda", _assigned["index"]) if torch.cuda.is_available() else torch.device("cpu")


def assign(worker: int, memory_fraction: float | None = None) -> None:
    """A worker process's GPU: worker i takes GPU i mod n, so workers spread over every GPU of the machine.
    Only recorded here (device_count asks NVML): the CUDA context comes with the first run that uses it."""
    count = torch.cuda.device_count()
    _assigned.update(index=worker % count if count else 0, memory_fraction=memory_fraction)
    # cuBLAS reads this when its first handle is made; deterministic runs need it (harmless otherwise)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def _prepare(device: torch.device) -> None:
    torch.cuda.set_device(device)  # kernels without an explicit device (cuBLAS handles, RNG seeding) go here too
    if device.index in _prepared:
        return
    _prepared.add(device.index)
    if _assigned["memory_fraction"]:
        # the caching allocator raises OutOfMemory past this share, so one worker cannot starve the others
        torch.cuda.set_per_process_memory_fraction(_assigned["memory_fraction"], device)


def describe() -> dict[str, str | None]:
    """{"device", "name"} of what "auto" picks, for a worker's ready signal: the web process never touches CUDA,
    whose context alone takes hundreds of MiB of the GPU. (Reading the name may create this worker's context,
    which its first GPU run would create anyway.)"""
    device = default()
    return {"device": str(device), "name": torch.cuda.get_device_name(device) if device.type == "cuda" else None}


def configure(deterministic: bool) -> None:
    """The numerics of one run, set at its start (a worker runs many). TF32 stays off either way: float32 means
    float32 on every device. `deterministic` adds PyTorch's deterministic kernels and fixed cuDNN algorithms;
    an op with no deterministic kernel warns (warn_only) rather than failing the run."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = False  # benchmarking picks kernels by timing: another pick, other round-off
    torch.backends.cudnn.deterministic = deterministic
    torch.use_deterministic_algorithms(deterministic, warn_only=True)


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work, so a clock read after it charges the work to the right step."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def release() -> None:
    """After a job: hand the cached blocks back, so the next job (or another worker on this GPU) can use them."""
    if torch.cuda.is_initialized():
        torch.cuda.empty_cache()


def is_poisoning(error: BaseException) -> bool:
    """A CUDA error that leaves the context unusable: the process must end so a fresh one replaces it."""
    return isinstance(error, RuntimeError) and any(mark in str(error) for mark in POISONING)
