"""A person's own data (read by engine/datasets/upload_files.py), checked and stored as .npz under a server-made id.
The app calls `configure(root)` once per process.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Literal

from pydantic import Field

from engine.datasets import DataInfo, DatasetParams, datasets
from engine.datasets.upload_files import UploadError
from engine.lazy import numpy as np
from engine.lazy import torch

ROOT = Path("data/uploads")
ID = re.compile(r"^[0-9a-f]{12}$")
MAX_CLASSES = 100


def configure(root: str | Path) -> None:
    global ROOT
    ROOT = Path(root)


def _path(upload_id: str, suffix: str) -> Path:
    if not upload_id:
        raise UploadError("no file uploaded yet: choose a CSV, an NPZ or IDX files and it uploads")
    if not ID.match(upload_id):
        raise UploadError(f"not an upload id: {upload_id!r}")
    return ROOT / f"{upload_id}{suffix}"


def save(x: np.ndarray, y: np.ndarray, name: str) -> dict:
    """Check shapes and values, infer the task, store; returns the metadata the builder shows."""
    named = y.dtype.kind in "US"  # class names (cat, dog) rather than numbers
    if x.dtype.kind not in "iuf" or not (named or y.dtype.kind in "iuf"):
        raise UploadError("x must hold numbers, y numbers or class names")
    if x.ndim == 0 or y.ndim == 0:
        raise UploadError(f"x and y need one entry per sample; their shapes are {list(x.shape)} and {list(y.shape)}")
    if 0 in x.shape[1:] or 0 in y.shape[1:]:
        raise UploadError(f"x needs at least one feature and y one target per sample; their shapes are "
                          f"{list(x.shape)} and {list(y.shape)}")
    if len(x) != len(y) or len(x) < 10:
        raise UploadError(f"x and y need the same number of samples (≥ 10): {len(x)} and {len(y)}")
    x, y = x.astype(np.float32), y.reshape(len(y), -1) if y.ndim > 1 else y
    if not np.isfinite(x).all() or not (named or np.isfinite(y.astype(np.float64)).all()):
        raise UploadError("the data holds NaN or infinite values")
    if named and (y.ndim != 1 or len(np.unique(y)) > MAX_CLASSES):
        raise UploadError(f"class names need one per sample and at most {MAX_CLASSES} classes; y has shape "
                          f"{list(y.shape)} and {len(np.unique(y))} distinct names")
    integer_labels = named or (y.ndim == 1 and np.all(np.equal(np.mod(y, 1), 0)) and len(np.unique(y)) <= MAX_CLASSES)
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
            "classes": [class_name(c) for c in classes][:MAX_CLASSES]}
    _path(upload_id, ".json").write_text(json.dumps(meta))
    return meta


def class_name(label: object) -> str:
    """A class as the pages name it: its own name, or a whole number without the ".0" a CSV's float gives it."""
    text = label.decode() if isinstance(label, bytes) else str(label)
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


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
                    n_classes=meta["n_classes"], target_dim=meta["target_dim"],
                    class_names=tuple(map(class_name, meta["classes"])))  # uploads stored before as "0.0" too


# user_data: this entry has no data of its own until a file is uploaded, so registry-wide tests skip it
@datasets.add("upload", UploadParams, "your own data: a CSV, an NPZ (x, y) or MNIST IDX files", info=_info,
              kind="any", user_data=True, formula=r"(x, y) \text{ as uploaded}")
def upload(params: UploadParams, seed: int):
    with np.load(_path(params.upload_id, ".npz"), allow_pickle=False) as archive:
        x, y = torch.from_numpy(archive["x"]), torch.from_numpy(archive["y"])
    return x.float(), y
