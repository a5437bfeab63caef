"""POST /api/uploads: a person's own data set (CSV, NPZ or MNIST IDX), size-limited and never unpickled.

The request's size is capped while it streams (app/bodylimit.py); what a file unpacks to is capped too, and
parsing runs in a worker thread so a big file never stalls the event loop."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError

from app.deps import SettingsDep
from engine.datasets import upload_files, uploads

router = APIRouter(prefix="/api/uploads", tags=["data sets"])


async def _read(part: UploadFile, field: str, limit: int) -> bytes:
    raw = await part.read(limit + 1)
    if len(raw) > limit:
        raise HTTPException(413, f"{field} is larger than this server's limit of {limit:,} bytes")
    return raw


def _parse_file(raw: bytes, name: str, limit: int) -> dict[str, Any]:
    x, y = upload_files.parse_npz(raw, limit) if raw[:2] == b"PK" else upload_files.parse_csv(raw)
    return uploads.save(x, y, name)


def _parse_idx(images: bytes, labels: bytes, name: str) -> dict[str, Any]:
    return uploads.save(upload_files.parse_idx(images, "images"), upload_files.parse_idx(labels, "labels"), name)


@router.post("", status_code=201, responses={
    413: {"description": "the request or what a file unpacks to is over DESCENT_MAX_UPLOAD_BYTES"}})
async def upload_dataset(
    settings: SettingsDep,
    file: Annotated[UploadFile | None, File(description="a .csv (last column = target) or .npz (x, y)")] = None,
    images: Annotated[UploadFile | None, File(description="MNIST IDX images (e.g. train-images-idx3-ubyte)")] = None,
    labels: Annotated[UploadFile | None, File(description="MNIST IDX labels")] = None,
    name: Annotated[str, Form(max_length=100)] = "",
) -> dict[str, Any]:
    """Returns the stored set's metadata; use its id as {"dataset": {"name": "upload", "params": {"upload_id"}}}."""
    limit = settings.max_upload_bytes
    try:
        if file is not None:
            raw = await _read(file, "file", limit)
            return await run_in_threadpool(_parse_file, raw, name or file.filename or "upload", limit)
        if images is not None and labels is not None:
            raw_images, raw_labels = await _read(images, "images", limit), await _read(labels, "labels", limit)
            return await run_in_threadpool(_parse_idx, raw_images, raw_labels, name or images.filename or "IDX upload")
        raise uploads.UploadError("send `file` (CSV or NPZ), or `images` and `labels` (IDX)")
    except uploads.UploadError as exc:
        field = "file" if file is not None else "images"
        raise RequestValidationError([{"loc": ["body", field], "msg": str(exc), "type": "value_error"}]) from None
