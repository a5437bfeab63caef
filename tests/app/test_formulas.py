"""Every catalog entry shows its own formula, and says where its convention differs from the study notes."""

from __future__ import annotations

from collections import defaultdict

import pytest

from app.routes.catalog import build_catalog

# the registries only: the catalog also lists the config sections and run statuses, which have no formulas
CATALOG = {k: v for k, v in build_catalog().items() if k not in ("sections", "statuses")}
ENTRIES = [(registry, entry) for registry, entries in CATALOG.items() for entry in entries]


@pytest.mark.parametrize(("registry", "entry"), ENTRIES, ids=[f"{r}-{e['name']}" for r, e in ENTRIES])
def test_every_entry_has_a_formula(registry, entry):
    assert entry.get("formula", "").strip(), f"{registry} '{entry['name']}' shows no formula"


@pytest.mark.parametrize("registry", list(CATALOG))
def test_no_two_entries_share_a_formula_unless_the_catalog_says_why(registry):
    by_formula = defaultdict(list)
    for entry in CATALOG[registry]:
        by_formula[entry.get("formula")].append(entry)
    for formula, entries in by_formula.items():
        if len(entries) < 2:
            continue
        # an entry may share its formula only when its `formula_shared` names the others and says why
        for entry in entries:
            others = {e["name"] for e in entries} - {entry["name"]}
            reason = entry.get("formula_shared", "")
            assert all(name in reason for name in others), (registry, entry["name"], "shares", formula, "with", others)


@pytest.mark.parametrize(("registry", "name", "says"), [
    ("optimizers", "adamw", r"\lambda\theta"),  # the decoupled decay, outside the adaptive fraction
    ("optimizers", "nadam", r"\beta_1 \hat m + \frac{(1-\beta_1)\, g}{1-\beta_1^t}"),  # Nesterov's look-ahead
    ("optimizers", "radam", r"r_t"),  # the rectification
    ("optimizers", "adamax", r"\max(\beta_2 u, |g|+\epsilon)"),
])
def test_each_relative_of_adam_shows_what_makes_it_different(registry, name, says):
    entry = next(e for e in CATALOG[registry] if e["name"] == name)
    assert says in entry["formula"]


# where the code follows PyTorch and the notes write it another way, the description says so in one line
CONVENTIONS = [
    ("networks", "gru", "1 − z"),
    ("optimizers", "momentum", "(1−β)"),
    ("regularizers", "l2", "λ/2m"),
    ("networks", "mlp", "keep_prob"),
    ("losses", "mape", "fraction"),
    ("probes", "gates", "1 − z"),
]


@pytest.mark.parametrize(("registry", "name", "says"), CONVENTIONS)
def test_a_convention_that_differs_from_the_notes_is_stated(registry, name, says):
    entry = next(e for e in CATALOG[registry] if e["name"] == name)
    assert says in entry["description"] and "notes" in entry["description"]
