"""GPU-ready on a machine without a GPU: every network, data set, loss, probe, trick, checkpoint, race and landscape
path runs on the meta device (tests/engine/meta_device.py) and fails on any tensor left on the CPU.

Meta tensors hold no values (reads answer zeros), so these tests check placement and host syncs, not numbers.
"""

from __future__ import annotations

import pytest
import torch
from engine_helpers import config
from meta_device import meta_device

from engine.batching import batching_obstacle
from engine.config import RunConfig, resolve
from engine.datasets import datasets
from engine.events import Done, Event, Status
from engine.lab.landscape import landscape
from engine.losses import losses
from engine.networks import networks
from engine.trainer import Member, train, train_members


def _cases() -> dict[str, dict]:
    """Every network on each kind of data it accepts, every data set, every loss and every trick: each run with the
    probes that apply to it by default."""
    names = [d.name for d in datasets if not d.meta.get("user_data")]
    unused = list(names)
    cases = {}
    for net in networks:
        for kind in net.meta["accepts"]:
            of_kind = [name for name in names if datasets[name].meta["kind"] == kind]
            dataset = next((name for name in of_kind if name in unused), of_kind[0])
            unused = [name for name in unused if name != dataset]
            cases[f"{net.name}-{dataset}"] = {"dataset": dataset, "model": net.name}
    for dataset in unused:
        net = next(n.name for n in networks if datasets[dataset].meta["kind"] in n.meta["accepts"])
        cases[f"{net}-{dataset}"] = {"dataset": dataset, "model": net}
    for loss in losses:
        dataset = "moons" if "classification" in loss.meta["tasks"] else "sine"
        cases[f"loss-{loss.name}"] = {"dataset": dataset, "model": loss.meta.get("suggested_model", "mlp"),
                                      "loss": loss.name}
    cases.update(TRICKS)
    return cases


EVERY_TRICK = {"augment": {"flip": True, "shift": 1, "noise": 0.1}, "mixup_alpha": 0.4, "clip_grad_norm": 1.0,
               "clip_grad_value": 1.0, "early_stopping": {"patience": 5}}
TRICKS = {
    "tricks-cnn": {"dataset": "digits", "model": "cnn", "train": EVERY_TRICK},
    "tricks-mlp": {"dataset": "moons", "model_spec": {"name": "mlp", "params": {
        "dropout": 0.2, "batch_norm": True, "activation": "prelu"}}, "regularization": {"name": "l1"},
        "schedule": {"name": "plateau"}},
}
CASES = _cases()


def _run_config(case: dict, steps: int = 3, **train_extra) -> RunConfig:
    """Logged at the first and the last step (which starts the second epoch): every probe reads twice."""
    case = dict(case)
    dataset, model = case.pop("dataset"), case.pop("model", "mlp")
    extra = {"eval_every": steps, **case.pop("train", {}), **train_extra}
    return config(dataset, model, probes=None, steps=steps, train=extra, **case)


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.saved: list[dict] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def save(self, step: int, state: dict) -> None:
        self.saved.append(state)

    @property
    def done(self) -> Done:
        return next(e for e in self.events if isinstance(e, Done))

    @property
    def device(self) -> str:
        return next(e.extra["device"] for e in self.events if isinstance(e, Status) and "device" in e.extra)


def _off_host(state) -> list[str]:
    """Paths of the tensors in a checkpoint that are not on the CPU."""
    if isinstance(state, torch.Tensor):
        return [] if state.device.type == "cpu" else [str(state.device)]
    if isinstance(state, dict):
        return [f"{k}.{p}" for k, v in state.items() for p in _off_host(v)]
    if isinstance(state, (list, tuple)):
        return [f"{i}.{p}" for i, v in enumerate(state) for p in _off_host(v)]
    return []


@pytest.mark.parametrize("name", CASES)
def test_every_path_of_a_run_keeps_its_tensors_on_the_device(name, monkeypatch):
    recorder = Recorder()
    with meta_device(monkeypatch):
        train(_run_config(CASES[name]), recorder.emit)
    assert recorder.device == "meta" and recorder.done.status == "completed", recorder.events


@pytest.mark.parametrize("name", ["tricks-cnn", "tricks-mlp"])
def test_a_checkpoint_holds_host_tensors_and_a_run_continues_from_it(name, monkeypatch):
    cfg = _run_config(CASES[name], steps=4, checkpoint_every=2)
    recorder, again = Recorder(), Recorder()
    with meta_device(monkeypatch):
        train(cfg, recorder.emit, save=recorder.save)
        # copied to the host straight from the device: the file holds no device tensor, and loads anywhere
        assert len(recorder.saved) == 2 and not _off_host(recorder.saved), _off_host(recorder.saved)
        assert "tricks" in recorder.saved[0] and ("stopper" in recorder.saved[0]) == (name == "tricks-cnn")
        continued = RunConfig.model_validate({**cfg.model_dump(), "start_from": {"run": "0" * 12, "mode": "continue"}})
        train(continued, again.emit, start=recorder.saved[0])
    assert again.device == "meta" and again.done.status == "completed" and again.done.summary["steps"] == 4


# the host syncs a step may make: none (the GPU runs ahead until a logged step reads its values)
SYNC_FREE = ["mlp-circles", "loss-triplet", "tricks-cnn"]


@pytest.mark.parametrize("name", SYNC_FREE)
def test_a_training_step_waits_for_nothing_on_the_host(name, monkeypatch):
    """Runs that log only their first and last steps: more steps between them, no more syncs."""
    counts = []
    for steps in (3, 9):
        with meta_device(monkeypatch) as guard:
            train(_run_config(CASES[name], steps=steps), Recorder().emit)
        counts.append(guard.syncs)
    assert counts[0] == counts[1], counts


def _race_configs(steps: int = 5, model: str = "mlp", dataset: str = "moons"):
    return [config(dataset, model, steps=steps, optimizer=name, train={"eval_every": 2}) for name in ("adam", "sgd")]


def _race(configs, recorders, save: bool = True) -> list[Done]:
    return train_members([Member(c, r.emit, r.save if save else None)
                          for c, r in zip(configs, recorders, strict=True)])


@pytest.mark.parametrize(("model", "dataset"), [("mlp", "moons"), ("cnn", "digits")])
def test_a_batched_race_trains_its_members_on_the_device(model, dataset, monkeypatch):
    recorders = [Recorder(), Recorder()]
    configs = _race_configs(model=model, dataset=dataset)
    assert batching_obstacle([resolve(c) for c in configs]) is None
    with meta_device(monkeypatch):
        dones = _race(configs, recorders)
    assert [d.status for d in dones] == ["completed", "completed"]
    assert [r.device for r in recorders] == ["meta", "meta"]
    assert all(r.saved and not _off_host(r.saved) for r in recorders)  # each member's checkpoints, on the host
    counts = []
    for steps in (4, 12):
        with meta_device(monkeypatch) as guard:
            _race([c.model_copy(update={"train": c.train.model_copy(update={"eval_every": 1_000})})
                   for c in _race_configs(steps, model, dataset)], [Recorder(), Recorder()], save=False)
        counts.append(guard.syncs)
    assert counts[0] == counts[1], counts  # the step itself never waits on the host


def test_a_race_whose_activation_learns_a_parameter_is_batched_with_each_members_slopes(monkeypatch):
    prelu = {"name": "mlp", "params": {"activation": "prelu"}}
    configs = [config("moons", optimizer=name, model_spec=prelu, steps=3) for name in ("adam", "sgd")]
    assert batching_obstacle([resolve(c) for c in configs]) is None
    recorders = [Recorder(), Recorder()]
    with meta_device(monkeypatch):
        assert [d.status for d in _race(configs, recorders)] == ["completed", "completed"]


@pytest.mark.parametrize("kind", ["interpolation", "random", "pca"])
def test_every_landscape_kind_computes_on_the_device(kind, monkeypatch):
    cfg = _run_config({"dataset": "moons"}, steps=6, checkpoint_every=3)
    recorder = Recorder()
    train(cfg, recorder.emit, save=recorder.save)  # on the CPU: the landscape starts from a real checkpoint
    final = recorder.saved[-1]["model"]
    with meta_device(monkeypatch) as guard:
        result = landscape(cfg, final, 6, kind, n=3, samples=32)
    assert result["kind"] == kind and guard.meta_ops


MISTAKES = {
    "a CPU tensor in arithmetic": lambda on_device: on_device + torch.ones(1, 2),
    "a CPU tensor indexed by device indices": lambda on_device: torch.ones(3)[torch.zeros(1, dtype=torch.long,
                                                                                           device="meta")],
    "a CPU scalar stacked with a device one": lambda on_device: torch.stack([on_device.sum(), torch.tensor(1.0)]),
    "a CPU generator drawing device numbers": lambda on_device: torch.rand(
        3, device="meta", generator=torch.Generator().manual_seed(0)),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_the_guard_raises_on_a_tensor_left_on_the_cpu(mistake, monkeypatch):
    with meta_device(monkeypatch):
        on_device = torch.ones(3, 2, device="meta")
        on_device * torch.tensor(2.0)  # a CPU scalar in arithmetic is fine, as on CUDA
        with pytest.raises(AssertionError, match="CPU|generator"):
            MISTAKES[mistake](on_device)


def test_the_guard_counts_what_makes_the_host_wait(monkeypatch):
    with meta_device(monkeypatch) as guard:
        on_device = torch.ones(3, 2, device="meta")
        assert on_device.sum().item() == 0.0 and on_device.tolist() == [[0.0, 0.0]] * 3  # reads answer zeros
        (on_device > 0).nonzero()
        on_device[on_device > 0]
        torch.ones(4).to("meta")
        torch.ones(4).to("meta", non_blocking=True)  # from pinned memory on a GPU: no wait
    assert guard.syncs == {".item()": 1, "device → host copy": 1, "nonzero (waits for values)": 1,
                           "index (waits for values)": 1, "blocking host → device copy": 1}
