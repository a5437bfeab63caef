"""The server's start imports only what its first answer needs (#20 item 3): numpy and Jinja2 load with the first
page or data set that uses them, SQLAlchemy with the database (in the thread that opens it, app/backend.py), not
with the app. Checked in a fresh interpreter: this one has them all loaded."""

from __future__ import annotations

from tests.conftest import fresh_session

SESSION = r"""
import json, sys
import app.main
loaded = lambda: {name: name in sys.modules for name in ("numpy._core", "jinja2", "sqlalchemy.engine")}
at_import = loaded()
from fastapi.testclient import TestClient
from app.main import create_app
from app.settings import Settings
data = sys.argv[1]
settings = Settings(database_url=f"sqlite:///{data}/descent.db", data_dir=data, workers=1, torch_threads=1)
with TestClient(create_app(settings)) as client:
    assert client.get("/healthz").status_code == 200
    after_health = loaded()
    page = client.get("/runs")
    assert page.status_code == 200 and "<html" in page.text.lower(), page.text[:300]
    after_page = loaded()
print(json.dumps({"import": at_import, "healthz": after_health, "page": after_page}))
"""


def test_numpy_jinja2_and_sqlalchemy_load_with_their_first_use_not_at_start(tmp_path):
    seen = fresh_session(SESSION, str(tmp_path), timeout=300)
    assert seen["import"] == {"numpy._core": False, "jinja2": False, "sqlalchemy.engine": False}
    assert seen["healthz"]["numpy._core"] is False and seen["healthz"]["jinja2"] is False
    # the page was rendered by the lazily made templates, from the runs of the database opened meanwhile
    assert seen["page"] == {"numpy._core": False, "jinja2": True, "sqlalchemy.engine": True}
