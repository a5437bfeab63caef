"""/static: gzipped text, a year's cache for versioned names, ETag revalidation for the rest; /docs and /redoc from
the vendored copies."""

from __future__ import annotations

import gzip

import httpx

from app.vendor import PLOTLY_NAME, PLOTLY_PATH

YEAR = "public, max-age=31536000, immutable"


def raw_get(client, path: str, **headers: str) -> httpx.Response:
    """The bytes as sent: httpx would otherwise decode the gzip and hide the encoding's effect on the size."""
    with client.stream("GET", path, headers=headers) as response:
        response.body = b"".join(response.iter_raw())
    return response


def test_plotly_is_gzipped_and_kept_a_year_under_its_versioned_name(client):
    page = client.get("/").text
    assert f'src="/static/{PLOTLY_NAME}"' in page and PLOTLY_NAME != "vendor/plotly.min.js"
    response = raw_get(client, f"/static/{PLOTLY_NAME}", **{"accept-encoding": "gzip"})
    assert response.status_code == 200 and response.headers["content-encoding"] == "gzip"
    assert response.headers["cache-control"] == YEAR and "Accept-Encoding" in response.headers["vary"]
    plain = PLOTLY_PATH.read_bytes()
    assert gzip.decompress(response.body) == plain and len(response.body) < len(plain) / 3
    identity = raw_get(client, f"/static/{PLOTLY_NAME}", **{"accept-encoding": "identity"})
    assert "content-encoding" not in identity.headers and identity.body == plain


def test_unversioned_files_are_revalidated_and_answer_304_when_unchanged(client):
    first = client.get("/static/app.css", headers={"accept-encoding": "gzip"})
    assert first.headers["cache-control"] == "no-cache" and first.headers["content-encoding"] == "gzip"
    again = client.get("/static/app.css", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert client.get("/static/vendor/htmx-2.0.11.min.js").headers["cache-control"] == YEAR
    head = client.head("/static/app.css", headers={"accept-encoding": "gzip"})
    assert head.status_code == 200 and head.content == b""
    assert client.get("/static/vendor/plotly.min.js").status_code == 404  # the unversioned name is gone


def test_images_are_not_gzipped(client):
    response = raw_get(client, "/static/vendor/swagger-ui-5.35.0/favicon-32x32.png", **{"accept-encoding": "gzip"})
    assert response.status_code == 200 and "content-encoding" not in response.headers


def test_event_streams_are_not_compressed(client):
    from tests.conftest import finish, run_config

    run_id = client.post("/api/runs", json=run_config(train={"steps": 20, "eval_every": 10})).json()["id"]
    finish(client, run_id)
    with client.stream("GET", f"/api/runs/{run_id}/events", headers={"accept-encoding": "gzip"}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in response.headers


def test_docs_pages_load_their_scripts_from_static(client):
    for path in ("/docs", "/redoc"):
        page = client.get(path).text
        assert "cdn" not in page and "googleapis" not in page and "/static/vendor/" in page
        for url in [part.split('"')[0] for part in page.split('src="')[1:]]:
            assert url.startswith("/static/") and client.get(url).status_code == 200
