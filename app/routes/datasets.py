"""POST /api/uploads: a person's own data set (CSV, NPZ or MNIST IDX), size-limited and never unpickled."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.exceptions import RequestValidationError

from app.deps import SettingsDep
from engine.datasets import uploads

router = APIRouter(prefix="/api/uploads", tags=["data sets"])


def _size_limit(request: Request, settings: SettingsDep) -> None:
    # refuse by the declared length before the body is read at all
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > settings.max_upload_bytes + 4096:
        raise HTTPException(413, f"the upload is {int(length):,} bytes; this server takes at most "
                                 f"{settings.max_upload_bytes:,}")


async def _read(part: UploadFile, field: str, limit: int) -> bytes:
    raw = await part.read(limit + 1)
    if len(raw) > limit:
        raise HTTPException(413, f"{field} is larger than this server's limit of {limit:,} bytes")
    return raw


@router.post("", status_code=201, dependencies=[Depends(_size_limit)])
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
            if raw[:2] == b"PK":
                x, y = uploads.parse_npz(raw)
            else:
                x, y = uploads.parse_csv(raw)
            label = name or file.filename or "upload"
        elif images is not None and labels is not None:
            x = uploads.parse_idx(await _read(images, "images", limit))
            y = uploads.parse_idx(await _read(labels, "labels", limit))
            label = name or images.filename or "IDX upload"
        else:
            raise uploads.UploadError("send `file` (CSV or NPZ), or `images` and `labels` (IDX)")
        return uploads.save(x, y, label)
    except uploads.UploadError as exc:
        field = "file" if file is not None else "images"
        raise RequestValidationError([{"loc": ["body", field], "msg": str(exc), "type": "value_error"}]) from None
