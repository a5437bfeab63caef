"""One RunStatus enum and one list of config sections: served in /api/catalog, read by the pages, copied nowhere."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from engine.config import SECTION_LIST, SECTIONS, RunConfig, Spec
from engine.status import RunStatus

ROOT = Path(__file__).resolve().parents[2]


def test_the_catalog_serves_the_statuses_and_the_sections(client):
    catalog = client.get("/api/catalog").json()
    assert [(s["name"], s["terminal"]) for s in catalog["statuses"]] == [(s.value, s.terminal) for s in RunStatus]
    assert all(s["description"] for s in catalog["statuses"])
    sections = {s["key"]: s for s in catalog["sections"]}
    assert list(sections) == list(SECTIONS)
    for key, section in sections.items():
        assert {e["name"] for e in catalog[section["catalog"]]} == set(SECTIONS[key].names())
    assert [k for k, s in sections.items() if s["required"]] == ["dataset", "model", "loss", "optimizer"]
    assert sections["schedule"]["default"] == "constant" and sections["regularization"]["default"] is None


def test_every_config_section_of_runconfig_is_in_the_list():
    specs = [name for name, f in RunConfig.model_fields.items() if Spec in (f.annotation, *getattr(f.annotation,
                                                                                                    "__args__", ()))]
    assert specs == [s.key for s in SECTION_LIST]


def test_the_catalog_says_which_statuses_ended_early_and_which_are_faults(client):
    # the pages read these from /api/catalog (static/js/api.js statuses()), never from a copy of their own
    served = {s["name"]: s for s in client.get("/api/catalog").json()["statuses"]}
    assert [n for n, s in served.items() if s["ended_early"]] == [s for s in RunStatus if s.ended_early]
    assert [n for n, s in served.items() if s["fault"]] == ["diverged", "failed"]
    assert "data-statuses" not in client.get("/runs").text


def test_no_script_keeps_its_own_list_of_statuses():
    names = "|".join(s.value for s in RunStatus)
    for path in (ROOT / "static" / "js").rglob("*.js"):
        quoted = set(re.findall(rf"[\"'`]({names})[\"'`]", path.read_text()))
        assert len(quoted) <= 1, f"{path.name} lists statuses {sorted(quoted)}: read them from api.js statuses()"
        assert not re.search(rf"\((?:{names})(?:\|(?:{names}))+\)", path.read_text()), f"{path.name}: a status regex"


def _literals(folders: tuple[str, ...]):
    """Every node of the Python files in these folders, with its file."""
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                yield path, node


def test_no_module_keeps_its_own_list_of_statuses():
    names = {s.value for s in RunStatus}
    copies = [f"{path.relative_to(ROOT)}:{node.lineno}" for path, node in _literals(("app", "engine", "bench"))
              if isinstance(node, (ast.Tuple, ast.List, ast.Set))
              and len({e.value for e in node.elts if isinstance(e, ast.Constant) and e.value in names}) >= 2]
    assert copies == []


def test_no_module_keeps_its_own_list_of_sections():
    keys = set(SECTIONS)
    copies = []
    for path, node in _literals(("app", "engine")):
        # a tuple, list or set of names, or a dict from names to names (labels): a config's dict is no copy
        plain = isinstance(node, ast.Dict) and all(isinstance(v, ast.Constant) for v in node.values)
        items = node.keys if plain else getattr(node, "elts", None)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)) and items:
            if len({i.value for i in items if isinstance(i, ast.Constant) and i.value in keys}) >= 4:
                copies.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert copies == []
