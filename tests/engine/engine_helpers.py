"""Helpers for the engine tests: tiny data sets (the suite runs in well under a minute) and a run collector.

A uniquely named module, not conftest.py: tests/ has its own conftest, and `from conftest import` would be ambiguous.
"""

from __future__ import annotations

from typing import Any

from engine.config import RunConfig
from engine.datasets import DataInfo, data_info, datasets
from engine.events import Done, Event, Metrics
from engine.trainer import train

# the smallest n_samples each set allows that still fills a batch of 16 and shows every class
TINY_SAMPLES = {"mnist1d": 100}
TINY_DEFAULT = 60


def tiny(name: str, **params: Any) -> dict[str, Any]:
    """A {name, params} spec for data set `name` with few samples."""
    fields = datasets[name].params.model_fields
    if "n_samples" in fields:
        params.setdefault("n_samples", TINY_SAMPLES.get(name, TINY_DEFAULT))
    return {"name": name, "params": params}


def info_of(name: str) -> DataInfo:
    spec = tiny(name)
    return data_info(name, datasets[name].params(**spec["params"]))


def loss_for(info: DataInfo) -> str:
    return "cross_entropy" if info.task == "classification" else "mse"


def config(dataset: str = "moons", model: str = "mlp", loss: str | None = None, optimizer: str = "adam",
           steps: int = 3, batch_size: int | str = 16, **sections: Any) -> RunConfig:
    """A small RunConfig; extra keyword sections (schedule, init, train extras...) are merged in."""
    train_extra = sections.pop("train", {})
    body = {
        "dataset": sections.pop("dataset_spec", None) or tiny(dataset),
        "model": sections.pop("model_spec", None) or {"name": model},
        "loss": {"name": loss or loss_for(info_of(dataset))},
        "optimizer": sections.pop("optimizer_spec", None) or {"name": optimizer},
        # eval_share 1: validation at every logged step, so curves do not depend on the machine's speed
        "train": {"steps": steps, "batch_size": batch_size, "eval_every": steps, "seed": 0, "eval_share": 1.0,
                  **train_extra},
        "probes": [],
        **sections,
    }
    return RunConfig.model_validate(body)


class Collected:
    def __init__(self) -> None:
        self.events: list[Event] = []

    @property
    def metrics(self) -> list[Metrics]:
        return [e for e in self.events if isinstance(e, Metrics)]

    @property
    def done(self) -> Done:
        return next(e for e in self.events if isinstance(e, Done))

    def curve(self, name: str) -> list[float | None]:
        return [m.values.get(name) for m in self.metrics]


def run(cfg: RunConfig) -> Collected:
    collected = Collected()
    train(cfg, collected.events.append)
    return collected
