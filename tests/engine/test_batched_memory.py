"""A batched CPU step reuses the memory of the step before: its activations, M times a solo run's, are not handed
back to the kernel at every free and page-faulted in again (engine/batched.py keep_freed_memory)."""

from __future__ import annotations

import platform
import resource
import statistics

import pytest
import torch
from engine_helpers import info_of

from engine.batched import Batched
from engine.networks import networks

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the heap thresholds are glibc's")


def _page_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def test_a_batched_step_does_not_page_fault_its_activations_back_in():
    info = info_of("mnist1d")
    network = networks["cnn"]
    stack = Batched([network.build(network.params(), info, 10) for _ in range(8)], torch.device("cpu"))
    x, y = torch.randn(100, *info.input_shape), torch.randint(0, 10, (100,))

    def step() -> None:  # the bench's race: 8 members of the default CNN at batch 100, 2 MiB an activation
        stack.grads.zero_()
        out = stack.network(stack.fold(x))
        torch.nn.functional.cross_entropy(out, stack.fold(y)).backward()

    for _ in range(3):
        step()
    faults = []
    for _ in range(7):
        before = _page_faults()
        step()
        faults.append(_page_faults() - before)
    # glibc's default thresholds: ~800 faults every step here (each 4 KiB page of the freed activations, again).
    # The median: the heap may still grow once to a new high-water mark (a 1 MiB burst, 250 faults, in one step)
    assert statistics.median(faults) < 50, faults
