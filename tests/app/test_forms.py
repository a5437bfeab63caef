"""Form fields come from the params models, and read values the way the model reads them."""

from __future__ import annotations

from app.forms import fields_for
from engine.networks import networks


def _value(fields, name: str):
    return next(f for f in fields if f.name == name).value


def test_a_link_with_the_old_batch_norm_fills_the_norm_field():
    fields = fields_for("model.params", networks["mlp"].params, {"batch_norm": True, "hidden_layers": [8]})
    assert _value(fields, "model.params.norm") == "batch"
    assert _value(fields, "model.params.hidden_layers") == "8"
    assert not any(f.name.endswith("batch_norm") for f in fields)


def test_invalid_values_are_shown_as_given():
    fields = fields_for("model.params", networks["mlp"].params, {"dropout": 5})
    assert _value(fields, "model.params.dropout") == 5
