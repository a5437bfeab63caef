"""The catalog lists every key of CATALOG.md, and every network family trains through the API."""

from __future__ import annotations

import pytest

from engine.datasets import datasets
from engine.networks import networks
from tests.conftest import finish

CATALOG_KEYS = {
    "optimizers": "sgd momentum nesterov adagrad adadelta rmsprop adam adamw nadam radam adamax lbfgs",
    "losses": "mse mae msle mape smooth_l1 huber bce nll cross_entropy hinge exponential kl_div triplet",
    "activations": "step sigmoid tanh relu leaky_relu prelu elu gelu silu softplus identity softmax",
    "initializers": "default zeros constant small_normal uniform xavier_normal xavier_uniform lecun_normal "
                    "lecun_uniform kaiming_normal kaiming_uniform orthogonal",
    "schedules": "constant inverse_time exponential step cosine one_cycle plateau",
    "networks": "perceptron mlp cnn lenet5 alexnet vgg resnet inception rnn lstm gru transformer siamese",
    "datasets": "moons circles spiral xor blobs sine polynomial digits mnist1d shapes volumes sine_forecast adding "
                "parity sequence_tagging upload",
}


def test_catalog_lists_every_key_with_schemas(client):
    catalog = client.get("/api/catalog").json()
    for registry, keys in CATALOG_KEYS.items():
        names = {entry["name"] for entry in catalog[registry]}
        assert set(keys.split()) <= names, (registry, set(keys.split()) - names)
        assert all(entry["params"]["type"] == "object" for entry in catalog[registry])
    assert all(entry["accepts"] for entry in catalog["networks"])
    assert "probes" in catalog and "regularizers" in catalog


def _first_dataset(network: str) -> str:
    accepts = networks[network].meta["accepts"]
    order = ["moons", "sine", "digits", "mnist1d", "parity", "shapes"]
    return next(d for d in order if datasets[d].meta["kind"] in accepts)


SMALL = {"moons": {"n_samples": 200}, "sine": {"n_samples": 200}, "digits": {"n_samples": 300},
         "mnist1d": {}, "parity": {"n_samples": 200}, "shapes": {"n_samples": 300}}


@pytest.mark.parametrize("network", networks.names())
def test_every_network_family_trains_through_the_api(client, network):
    dataset = _first_dataset(network)
    loss = {"sine": "mse"}.get(dataset, "triplet" if network == "siamese" else "cross_entropy")
    config = {"dataset": {"name": dataset, "params": SMALL[dataset]}, "model": {"name": network},
              "loss": {"name": loss}, "optimizer": {"name": "adam", "params": {"lr": 0.001}},
              "train": {"steps": 6, "batch_size": 16, "eval_every": 3}}
    created = client.post("/api/runs", json=config)
    assert created.status_code == 201, created.text
    run = finish(client, created.json()["id"], timeout=180)
    assert run["status"] == "completed", run["error"]


def test_an_image_network_on_points_is_refused_with_the_sets_it_takes(client):
    response = client.post("/api/runs", json={"dataset": {"name": "moons"}, "model": {"name": "lenet5"},
                                              "loss": {"name": "cross_entropy"}, "optimizer": {"name": "adam"}})
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "model", "name"] and "digits" in error["msg"] and "shapes" in error["msg"]
