"""What every bench line says about where it ran, and the checks that let a bench skip a case with a note."""

from __future__ import annotations

import importlib.util
import os
import platform

import torch

# data sets that need a package beyond torch, numpy and pydantic (a bare GPU machine may lack it)
DATASET_PACKAGES = {"mnist1d": "mnist1d", "digits": "sklearn"}


def describe(device: str = "cpu") -> dict:
    """Machine, torch, the device's name, torch's threads and the 1-minute load average (others sharing the cores
    make absolute times swing; the load average says whether they did)."""
    if device.startswith("cuda") and torch.cuda.is_available():
        name = torch.cuda.get_device_name()
    else:
        name = platform.processor() or platform.machine()
    return {"machine": platform.machine(), "cpus": os.cpu_count(), "torch": torch.__version__, "device": device,
            "device_name": name, "threads": torch.get_num_threads(), "load_avg_1m": round(os.getloadavg()[0], 2)}


def missing_package(dataset: str) -> str | None:
    """The package a data set needs that this interpreter cannot import, or None."""
    package = DATASET_PACKAGES.get(dataset)
    return package if package and importlib.util.find_spec(package) is None else None


def cuda_memory(device: str) -> dict:
    """The peak GPU memory since the last reset, in MiB (nothing on a CPU)."""
    if not device.startswith("cuda"):
        return {}
    return {"gpu_peak_allocated_mib": round(torch.cuda.max_memory_allocated() / 2**20, 1),
            "gpu_peak_reserved_mib": round(torch.cuda.max_memory_reserved() / 2**20, 1)}


def reset_cuda_memory(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()


if __name__ == "__main__":  # gpu.sh's line for a measurement it did not take: machine.py BENCH REASON
    import json
    import sys

    print(json.dumps({"bench": sys.argv[1], **describe(), "skipped": sys.argv[2]}))
