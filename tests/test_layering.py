"""engine/ never imports the web layer: checked on the source and on a fresh interpreter."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB = {"fastapi", "starlette", "jinja2", "app", "uvicorn", "sqlalchemy"}


def test_engine_sources_import_nothing_of_the_web():
    offenders = []
    for path in (ROOT / "engine").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in WEB]
    assert offenders == []


def test_importing_the_trainer_loads_no_web_module():
    code = ("import sys, engine.trainer, engine.config; "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {WEB!r}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
