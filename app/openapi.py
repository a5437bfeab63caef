"""The OpenAPI schema lists every answer a route can give. Answers that come from the app's own layers are added
here for every operation (400: a Host this server does not answer to, or a body that is not UTF-8; 404: an id
that does not exist; 413: a body over the limit; 503: the database is down); routes declare their own 409 and
429 with CONFLICT and BUSY."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel


class Message(BaseModel):
    """Every error but a 422 answers {"detail": "<what went wrong, in words>"}."""

    detail: str


def _answer(description: str) -> dict[str, Any]:
    return {"model": Message, "description": description}


CONFLICT = {409: _answer("the run is not in a state that allows this (the message says which)")}
BUSY = {429: _answer("this server's queue or watcher limit is reached; try again later")}

COMMON = {
    "400": "a Host this server does not answer to (DESCENT_ALLOWED_HOSTS), or a body that cannot be decoded",
    "503": "the database cannot be reached or refuses writes; nothing was changed",
}
WITH_PATH_PARAMETER = {"404": "nothing with that id or name"}
WITH_BODY = {"413": "the body is over DESCENT_MAX_BODY_BYTES (DESCENT_MAX_UPLOAD_BYTES for uploads)"}


def _add(responses: dict[str, Any], answers: dict[str, str]) -> None:
    for status, description in answers.items():
        responses.setdefault(status, {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Message"}}},
        })


def install(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {}).setdefault("schemas", {}).setdefault(
                "Message", Message.model_json_schema())
            for path, operations in schema.get("paths", {}).items():
                for operation in operations.values():
                    responses = operation.setdefault("responses", {})
                    _add(responses, COMMON)
                    if "{" in path:
                        _add(responses, WITH_PATH_PARAMETER)
                    if "requestBody" in operation:
                        _add(responses, WITH_BODY)
        return app.openapi_schema

    app.openapi = openapi
