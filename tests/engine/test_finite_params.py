"""Every component's params model refuses NaN and ±Infinity in each float field (the registries' common base)."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from engine.config import SECTIONS
from engine.probes import probes

ENTRIES = [(registry.kind, entry) for registry in [*SECTIONS.values(), probes] for entry in registry]


@pytest.mark.parametrize(("kind", "entry"), ENTRIES, ids=[f"{k}:{e.name}" for k, e in ENTRIES])
def test_float_params_refuse_non_finite_values(kind, entry):
    floats = [name for name, field in entry.params.model_fields.items() if isinstance(field.default, float)]
    for name in floats:
        for value in (math.nan, math.inf, -math.inf):
            with pytest.raises(ValidationError) as caught:
                entry.params.model_validate({name: value})
            assert any(e["loc"] == (name,) and e["type"] == "finite_number" for e in caught.value.errors()), name


def test_at_least_the_common_float_knobs_are_covered():
    covered = {e.name for _, e in ENTRIES if any(isinstance(f.default, float) for f in e.params.model_fields.values())}
    assert {"adam", "sgd", "huber", "moons", "cosine"} <= covered
