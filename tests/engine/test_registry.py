"""A component package registers every file it holds: adding an optimizer, network or probe is one new file."""

from __future__ import annotations

import sys
import textwrap

from engine.registry import Registry, load_entries


def test_a_new_file_in_a_component_package_registers_itself_after_the_named_ones(tmp_path, monkeypatch):
    package = tmp_path / "toy_components"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("zeta", "alpha", "beta", "_private"):
        (package / f"{name}.py").write_text(textwrap.dedent(f"""
            from toy_components_registry import things
            things.add("{name}")(lambda: None)
        """))
    registry = Registry("thing")
    monkeypatch.setitem(sys.modules, "toy_components_registry", type(sys)("toy_components_registry"))
    sys.modules["toy_components_registry"].things = registry
    monkeypatch.syspath_prepend(str(tmp_path))
    load_entries("toy_components", [str(package)], first=["zeta"])
    assert registry.names() == ["zeta", "alpha", "beta"]  # named first, then the rest by name; _private skipped
    for name in ("toy_components", "toy_components.zeta", "toy_components.alpha", "toy_components.beta"):
        sys.modules.pop(name, None)
