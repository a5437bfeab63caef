"""Fixtures that run a test on SQLite and on PostgreSQL: `database_url` (a fresh database each test), and the
session's `postgres` cluster behind it."""

from __future__ import annotations

import os

import pytest

from tests.postgres.cluster import Cluster, bindir


@pytest.fixture(scope="session")
def postgres():
    found = bindir()
    if found is None:
        message = "PostgreSQL's initdb not found; `make test` installs Debian's postgresql"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    cluster = Cluster(found).start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'descent.db'}"
    return request.getfixturevalue("postgres").new_database()
