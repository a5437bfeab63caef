"""A person's own data: parsed with safe loaders only (no pickle), stored as .npz under a server-made id.

Accepted: CSV (numbers; the last column is the target), NPZ with arrays `x` and `y` (allow_pickle=False),
and MNIST IDX files (images + labels). The app calls `configure(root)` once per process.
"""

from __future__ import annotations

import csv
import io
import json
import re
import struct
import uuid
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from pydantic import Field

from engine.datasets import DataInfo, DatasetParams, datasets

ROOT = Path("data/uploads")
ID = re.compile(r"^[0-9a-f]{12}$")
MAX_CLASSES = 100
IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class UploadError(ValueError):
    """A file that cannot become a data set; the message says why in a person's words."""


def configure(root: str | Path) -> None:
    global ROOT
    ROOT = Path(root)


def _path(upload_id: str, suffix: str) -> Path:
    if not ID.match(upload_id):
        raise UploadError(f"not an upload id: {upload_id!r}")
    return ROOT / f"{upload_id}{suffix}"


def parse_csv(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    try:
        rows = [r for r in csv.reader(io.StringIO(raw.decode("utf-8-sig"))) if r and any(c.strip() for c in r)]
    except UnicodeDecodeError:
        raise UploadError("the CSV is not UTF-8 text") from None
    if rows and any(_not_number(c) for c in rows[0]):
        rows = rows[1:]  # a header line
    if len(rows) < 10:
        raise UploadError("the CSV needs at least 10 rows of numbers")
    width = len(rows[0])
    if width < 2 or any(len(r) != width for r in rows):
        raise UploadError(f"every row needs the same number of columns (≥ 2); row 1 has {width}")
    try:
        table = np.array([[float(c) for c in r] for r in rows], dtype=np.float64)
    except ValueError as exc:
        raise UploadError(f"the CSV holds a value that is not a number ({exc})") from None
    return table[:, :-1], table[:, -1]


def _not_number(cell: str) -> bool:
    try:
        float(cell)
        return False
    except ValueError:
        return True


def parse_npz(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
            names = set(archive.files)
            x_key = "x" if "x" in names else "X" if "X" in names else None
            if x_key is None or "y" not in names:
                raise UploadError(f"the NPZ needs arrays 'x' and 'y'; it has {sorted(names)}")
            return np.asarray(archive[x_key]), np.asarray(archive["y"])
    except (ValueError, OSError, EOFError) as exc:
        raise UploadError(f"not a readable NPZ without pickled objects ({exc})") from None


def parse_idx(raw: bytes) -> np.ndarray:
    if len(raw) < 8 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        raise UploadError("not an IDX file (bad magic number)")
    dims = raw[3]
    shape = struct.unpack(f">{dims}I", raw[4 : 4 + 4 * dims])
    dtype = np.dtype(IDX_TYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    body = raw[4 + 4 * dims :]
    if len(body) != expected:
        raise UploadError(f"the IDX header promises {expected} bytes of data but the file has {len(body)}")
    return np.frombuffer(body, dtype=dtype).reshape(shape)


def save(x: np.ndarray, y: np.ndarray, name: str) -> dict:
    """Check shapes and values, infer the task, store; returns the metadata the builder shows."""
    if x.dtype.kind not in "iuf" or y.dtype.kind not in "iuf":
        raise UploadError("x and y must be numeric arrays")
    if len(x) != len(y) or len(x) < 10:
        raise UploadError(f"x and y need the same number of samples (≥ 10): {len(x)} and {len(y)}")
    x, y = x.astype(np.float32), y.reshape(len(y), -1) if y.ndim > 1 else y
    if not np.isfinite(x).all() or not np.isfinite(y.astype(np.float64)).all():
        raise UploadError("the data holds NaN or infinite values")
    integer_labels = y.ndim == 1 and np.all(np.equal(np.mod(y, 1), 0)) and len(np.unique(y)) <= MAX_CLASSES
    if integer_labels:
        classes, y = np.unique(y, return_inverse=True)
        task, n_classes, target_dim = "classification", len(classes), 1
    else:
        task, n_classes, target_dim, classes = "regression", 0, (1 if y.ndim == 1 else y.shape[1]), []
    if x.ndim == 3:
        x = x[:, None]  # grey images gain a channel axis
    kind = {2: "points" if x.shape[1] == 2 else "vector", 4: "image"}.get(x.ndim)
    if kind is None:
        raise UploadError(f"x must be a table (samples × features) or images; its shape is {list(x.shape)}")
    upload_id = uuid.uuid4().hex[:12]
    ROOT.mkdir(parents=True, exist_ok=True)
    np.savez(_path(upload_id, ".npz"), x=x, y=y.astype(np.int64 if task == "classification" else np.float32))
    meta = {"id": upload_id, "name": name[:100], "kind": kind, "task": task, "input_shape": list(x.shape[1:]),
            "n_samples": len(x), "n_classes": n_classes, "target_dim": target_dim,
            "classes": [str(c) for c in classes][:MAX_CLASSES]}
    _path(upload_id, ".json").write_text(json.dumps(meta))
    return meta


def metadata(upload_id: str) -> dict:
    try:
        return json.loads(_path(upload_id, ".json").read_text())
    except FileNotFoundError:
        raise UploadError(f"no uploaded data set with id '{upload_id}'") from None


class UploadParams(DatasetParams):
    upload_id: str = Field("", description="the id the upload gave back", max_length=12)
    task: Literal["auto"] = "auto"


def _info(params: UploadParams) -> DataInfo:
    meta = metadata(params.upload_id)
    return DataInfo(meta["kind"], meta["task"], tuple(meta["input_shape"]), meta["n_samples"],
                    n_classes=meta["n_classes"], target_dim=meta["target_dim"], class_names=tuple(meta["classes"]))


# user_data: this entry has no data of its own until a file is uploaded, so registry-wide tests skip it
@datasets.add("upload", UploadParams, "your own data: a CSV, an NPZ (x, y) or MNIST IDX files", info=_info,
              kind="any", user_data=True, formula=r"(x, y) \text{ as uploaded}")
def upload(params: UploadParams, seed: int):
    with np.load(_path(params.upload_id, ".npz"), allow_pickle=False) as archive:
        x, y = torch.from_numpy(archive["x"]), torch.from_numpy(archive["y"])
    return x.float(), y
