"""resolve() checks everything up front and names the field at fault (loc), for every registry."""

from __future__ import annotations

import pickle

import pytest
from engine_helpers import config, tiny

from engine.architecture import survey
from engine.config import SECTIONS, ConfigError, RunConfig, resolve
from engine.datasets import datasets
from engine.networks import networks


def _errors(body: dict) -> list[dict]:
    with pytest.raises(ConfigError) as caught:
        resolve(RunConfig.model_validate(body))
    return caught.value.errors


def _body(**overrides) -> dict:
    body = config("moons", "mlp").model_dump(exclude_none=True)
    body.update(overrides)
    return body


def _locs(errors: list[dict]) -> list[list]:
    return [e["loc"] for e in errors]


def test_a_valid_config_resolves():
    plan = resolve(config("digits", "cnn"))
    assert plan.info.input_shape == (1, 8, 8) and plan.batch_size == 16


@pytest.mark.parametrize("section", list(SECTIONS))
def test_an_unknown_name_is_rejected_at_its_section(section):
    errors = _errors(_body(**{section: {"name": "no_such_thing"}}))
    assert [section, "name"] in _locs(errors)
    assert any("no_such_thing" in e["msg"] for e in errors)


ENTRIES = [(section, entry.name) for section, registry in SECTIONS.items() for entry in registry]


@pytest.mark.parametrize("section,name", ENTRIES, ids=[f"{s}-{n}" for s, n in ENTRIES])
def test_every_entry_rejects_an_unknown_param(section, name):
    spec = {"name": name, "params": {"not_a_knob": 1}}
    if section == "dataset":
        spec["params"].update(tiny(name)["params"])
    errors = _errors(_body(**{section: spec}))
    assert [section, "params", "not_a_knob"] in _locs(errors)


def test_a_bad_param_value_names_the_nested_field():
    errors = _errors(_body(model={"name": "mlp", "params": {"hidden_layers": [8, 0]}}))
    assert _locs(errors) == [["model", "params", "hidden_layers", 1]]
    errors = _errors(_body(optimizer={"name": "adam", "params": {"lr": -1}}))
    assert _locs(errors) == [["optimizer", "params", "lr"]]


def test_a_cnn_layer_with_even_kernel_and_stride_cannot_be_same_padded():
    layers = [{"channels": 4, "kernel_size": 4, "stride": 2, "padding": "same"}]
    body = config("digits", "cnn").model_dump(exclude_none=True)
    body["model"] = {"name": "cnn", "params": {"conv_layers": layers}}
    assert _locs(_errors(body))[0][:4] == ["model", "params", "conv_layers", 0]


def _other_kind_dataset(accepts: list[str]) -> str:
    return next(d.name for d in datasets if d.meta["kind"] not in accepts and not d.meta.get("user_data"))


@pytest.mark.parametrize("network", networks.names())
def test_every_network_rejects_a_data_kind_it_does_not_accept(network):
    accepts = networks[network].meta["accepts"]
    dataset = _other_kind_dataset(accepts)
    body = _body(dataset=tiny(dataset), model={"name": network})
    body["loss"] = {"name": "mse"}  # valid for both tasks, so only the pairing is wrong
    errors = _errors(body)
    assert _locs(errors) == [["model", "name"]]
    assert dataset in errors[0]["msg"] and accepts[0] in errors[0]["msg"]


def test_a_classification_loss_on_regression_data_names_the_loss():
    errors = _errors(_body(dataset=tiny("sine"), loss={"name": "cross_entropy"}))
    assert _locs(errors) == [["loss", "name"]]


def test_a_network_that_does_not_fit_the_input_is_a_config_error_of_the_survey():
    layers = [{"channels": 4, "kernel_size": 5, "padding": "valid"}] * 3
    body = config("digits", "cnn").model_dump(exclude_none=True)
    body["model"] = {"name": "cnn", "params": {"conv_layers": layers, "pool": "none"}}
    resolve(RunConfig.model_validate(body))  # torch-free: only building the network finds this
    with pytest.raises(ConfigError) as caught:
        survey(RunConfig.model_validate(body))
    errors = caught.value.errors
    assert _locs(errors) == [["model", "params"]] and "does not fit" in errors[0]["msg"]
    assert pickle.loads(pickle.dumps(caught.value)).errors == errors  # it crosses from the planner process


def test_flips_and_shifts_need_images_or_signals():
    body = _body(train={"steps": 3, "augment": {"flip": True, "shift": 2, "noise": 0.1}})
    assert _locs(_errors(body)) == [["train", "augment", "flip"], ["train", "augment", "shift"]]
    resolve(config("digits", "cnn", train={"augment": {"flip": True, "shift": 2}}))  # fine on images


def test_rotation_needs_images():
    errors = _errors(config("mnist1d", "cnn", train={"augment": {"rotate": 15}}).model_dump(exclude_none=True))
    assert _locs(errors) == [["train", "augment", "rotate"]] and "image" in errors[0]["msg"]
    resolve(config("digits", "cnn", train={"augment": {"rotate": 15}}))


def test_every_problem_is_reported_at_once():
    body = _body(model={"name": "nope"}, loss={"name": "nope"}, optimizer={"name": "adam", "params": {"lr": 99}})
    assert {tuple(loc) for loc in _locs(_errors(body))} == {
        ("model", "name"), ("loss", "name"), ("optimizer", "params", "lr"),
    }
