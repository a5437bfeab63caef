"""Request bodies over DESCENT_MAX_BODY_BYTES (JSON, forms) or DESCENT_MAX_UPLOAD_BYTES (uploads) answer 413,
by the declared length before anything is read, and while streaming when no length is declared."""

from __future__ import annotations

import asyncio

import httpx

from tests.conftest import run_config

CHUNK = 100_000


def _streamed(path: str, chunks: int, prefix: bytes = b"", headers: dict | None = None, **settings):
    """POST `chunks` chunks of CHUNK bytes to an app (no lifespan) through an ASGI transport that hands the
    body over chunk by chunk; returns the answer and how many chunks the server pulled."""
    from app.main import create_app
    from app.settings import Settings

    pulled = 0

    async def body():
        nonlocal pulled
        yield prefix
        for _ in range(chunks):
            pulled += 1
            yield b" " * CHUNK

    async def post():
        transport = httpx.ASGITransport(app=create_app(Settings(**settings)))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.post(path, content=body(), headers=headers or {"Content-Type": "application/json"})

    return asyncio.run(post()), pulled


def test_a_declared_length_over_the_limit_is_refused_before_reading(client):
    huge = run_config(name="x" * 2_100_000)
    refused = client.post("/api/runs", json=huge)
    assert refused.status_code == 413 and "DESCENT_MAX_BODY_BYTES" in refused.json()["detail"]
    under = client.post("/api/runs", json=run_config(name="x" * 1_900_000))
    assert under.status_code == 422 and under.json()["detail"][0]["loc"] == ["body", "name"]  # read, then refused
    assert len(under.content) < 10_000  # the 1.9 MB input is not echoed back


def test_a_streamed_json_body_is_cut_off_at_the_limit():
    answer, pulled = _streamed("/api/plans", chunks=40, max_body_bytes=1_000_000)
    assert answer.status_code == 413 and "1,000,000 bytes" in answer.json()["detail"]
    assert pulled <= 11  # of 40: the rest was never read


def test_a_streamed_upload_is_cut_off_at_the_upload_limit():
    boundary = "descent-test-boundary"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\n").encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    answer, pulled = _streamed("/api/uploads", chunks=60, prefix=head, headers=headers, max_upload_bytes=2_000_000)
    assert answer.status_code == 413 and "DESCENT_MAX_UPLOAD_BYTES" in answer.json()["detail"]
    assert pulled <= 22  # of 60



def test_a_body_read_outside_any_route_is_cut_off_at_the_limit_too():
    """Something before the routes that reads the body (a middleware) gets the 413 answered by the limit itself."""
    from app.bodylimit import BodyLimitMiddleware
    from app.settings import Settings

    async def reads_everything(scope, receive, send):
        while (await receive()).get("more_body"):
            pass
        raise AssertionError("the body should have been cut off before its end")

    async def body():
        for _ in range(40):
            yield b" " * CHUNK

    async def post():
        limited = BodyLimitMiddleware(reads_everything, Settings(max_body_bytes=1_000_000))
        transport = httpx.ASGITransport(app=limited)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.post("/api/plans", content=body())

    answer = asyncio.run(post())
    assert answer.status_code == 413
    assert "1,000,000 bytes (DESCENT_MAX_BODY_BYTES)" in answer.json()["detail"]
