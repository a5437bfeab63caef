"""engine/devices.py: workers spread over the GPUs, each run sets its numerics, and the trainer times logged steps
after the device has caught up. CUDA is played by monkeypatched torch.cuda functions: no GPU here."""

from __future__ import annotations

import pytest
import torch
from engine_helpers import config, info_of, run
from torch import nn

from engine import devices
from engine.datasets import datasets
from engine.events import Metrics
from engine.networks import networks


@pytest.fixture
def fake_gpus(monkeypatch):
    """Two GPUs as torch.cuda would report them; records what the process asks of them."""
    asked: list[tuple] = []
    monkeypatch.setattr(devices, "_assigned", {"index": 0, "memory_fraction": None})
    monkeypatch.setattr(devices, "_prepared", set())
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "set_device", lambda device: asked.append(("set_device", device)))
    monkeypatch.setattr(torch.cuda, "set_per_process_memory_fraction",
                        lambda fraction, device: asked.append(("fraction", fraction, device)))
    return asked


def test_workers_spread_over_the_gpus_and_bound_their_memory(fake_gpus):
    devices.assign(3, memory_fraction=0.4)  # worker 3 of a pool on a 2-GPU machine
    assert not fake_gpus  # assigning touches no GPU: the context comes with the first run
    cuda1 = torch.device("cuda", 1)
    assert devices.default() == cuda1 and devices.pick("auto") == cuda1 and devices.pick("cuda") == cuda1
    assert devices.pick("cpu") == torch.device("cpu")
    assert fake_gpus == [("set_device", cuda1), ("fraction", 0.4, cuda1), ("set_device", cuda1)]


def test_without_a_gpu_auto_is_the_cpu_and_a_worker_says_so():
    assert devices.pick("auto") == torch.device("cpu")
    assert devices.describe() == {"device": "cpu", "name": None}
    with pytest.raises(ValueError, match="train.device is 'cuda', but this machine has no CUDA GPU"):
        devices.pick("cuda")


def test_a_run_sets_its_numerics_and_the_next_run_sets_its_own():
    seen = []

    def emit(event):
        if isinstance(event, Metrics) and event.step == 0:
            seen.append((torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.deterministic,
                         torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32))

    from engine.trainer import train

    try:
        train(config(steps=2, train={"deterministic": True}), emit)
        train(config(steps=2), emit)
    finally:
        devices.configure(False)
    assert seen == [(True, True, False, False), (False, False, False, False)]  # TF32 stays off either way


def test_the_clock_reads_a_logged_step_after_the_device_has_caught_up(monkeypatch):
    synced = []
    monkeypatch.setattr(devices, "synchronize", lambda device: synced.append(device))
    result = run(config(steps=6, train={"eval_every": 2}))
    assert len(synced) == 3 and [m.step for m in result.metrics] == [0, 2, 4, 6]  # logged steps only


def test_only_a_gpu_run_waits_for_its_device(monkeypatch):
    waited = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device: waited.append(device))
    devices.synchronize(torch.device("cpu"))
    devices.synchronize(torch.device("cuda", 1))
    assert waited == [torch.device("cuda", 1)]


# layers whose CUDA backward PyTorch lists with no deterministic kernel (torch.use_deterministic_algorithms);
# AdaptiveAvgPool1d runs the 2-D kernel
NO_DETERMINISTIC_BACKWARD = (
    nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d, nn.AdaptiveMaxPool2d, nn.AvgPool3d,
    nn.FractionalMaxPool2d, nn.FractionalMaxPool3d, nn.MaxUnpool1d, nn.MaxUnpool2d, nn.MaxUnpool3d, nn.Upsample,
    nn.ReflectionPad1d, nn.ReflectionPad2d, nn.ReflectionPad3d, nn.EmbeddingBag, nn.CTCLoss,
)
NETWORK_KINDS = [(net.name, kind) for net in networks for kind in net.meta["accepts"]]


@pytest.mark.parametrize(("network", "kind"), NETWORK_KINDS, ids=[f"{n}-{k}" for n, k in NETWORK_KINDS])
def test_no_network_has_a_layer_that_deterministic_mode_cannot_make_deterministic(network, kind):
    dataset = next(d.name for d in datasets if d.meta["kind"] == kind)
    with torch.device("meta"):
        model = networks[network].build(networks[network].params(), info_of(dataset), 2)
    found = [name for name, module in model.named_modules() if isinstance(module, NO_DETERMINISTIC_BACKWARD)]
    assert not found, found
