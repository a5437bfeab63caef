"""The engine stays web-free: no module under engine/ imports fastapi, starlette, jinja2 or app."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "engine"
FORBIDDEN = {"fastapi", "starlette", "jinja2", "app", "uvicorn", "sqlalchemy"}


def test_engine_imports_no_web_code():
    offenders = []
    for path in ENGINE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert not offenders
    assert len(list(ENGINE.rglob("*.py"))) > 20


def test_engine_has_no_print():
    calls = [
        path.name for path in ENGINE.rglob("*.py") for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print"
    ]
    assert not calls
