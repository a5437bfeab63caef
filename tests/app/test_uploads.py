"""Uploads: CSV, NPZ and IDX become data sets that train; bad files get clear 4xx; pickles never load."""

from __future__ import annotations

import io
import pickle
import struct

import numpy as np

from tests.conftest import finish, run_config


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _idx(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def test_csv_upload_trains_with_the_boundary_probe(client):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 2))
    rows = "a,b,label\n" + "\n".join(f"{p:.4f},{q:.4f},{int(p * q > 0)}" for p, q in x)
    meta = client.post("/api/uploads", files={"file": ("quadrants.csv", rows.encode(), "text/csv")}).json()
    assert meta["kind"] == "points" and meta["task"] == "classification" and meta["n_classes"] == 2
    config = run_config(dataset={"name": "upload", "params": {"upload_id": meta["id"]}},
                        model={"name": "mlp", "params": {"hidden_layers": [16]}}, train={"steps": 300})
    run = finish(client, client.post("/api/runs", json=config).json()["id"])
    assert run["status"] == "completed" and run["summary"]["val_acc"] > 0.8
    assert client.get(f"/api/runs/{run['id']}/history").json()["probes"]["decision_boundary"]


def test_npz_and_idx_uploads(client):
    images = (np.arange(40 * 8 * 8) % 255).reshape(40, 8, 8)
    meta = client.post("/api/uploads", files={"images": ("imgs-idx3-ubyte", _idx(images)),
                                              "labels": ("labels-idx1-ubyte", _idx(np.arange(40) % 4))}).json()
    assert meta["kind"] == "image" and meta["input_shape"] == [1, 8, 8] and meta["n_classes"] == 4
    npz = _npz(x=np.ones((50, 3)), y=np.linspace(0, 1, 50))
    regression = client.post("/api/uploads", files={"file": ("r.npz", npz)})
    assert regression.json()["task"] == "regression" and regression.json()["kind"] == "vector"


def test_bad_uploads_are_clear_errors_and_pickles_never_load(client):
    pickled = io.BytesIO()
    np.savez(pickled, x=np.array([{"evil": 1}] * 20, dtype=object), y=np.zeros(20))
    refused = client.post("/api/uploads", files={"file": ("evil.npz", pickled.getvalue())})
    assert refused.status_code == 422 and "pickle" in refused.text
    assert client.post("/api/uploads", files={"file": ("p.csv", pickle.dumps([1, 2]))}).status_code == 422
    ragged = client.post("/api/uploads", files={"file": ("r.csv", b"1,2\n" * 10 + b"1,2,3\n")})
    assert ragged.status_code == 422 and "same number of columns" in ragged.text
    files = {"images": ("i", _idx(np.zeros((4, 2, 2)))[:-3]), "labels": ("l", _idx(np.zeros(4)))}
    truncated = client.post("/api/uploads", files=files)
    assert truncated.status_code == 422 and "IDX header" in truncated.text
    assert client.post("/api/uploads").status_code == 422
    huge = client.post("/api/uploads", files={"file": ("big.csv", b"1,2\n" * 400_000)})
    assert huge.status_code == 413
    missing = client.post("/api/runs", json=run_config(dataset={"name": "upload", "params": {"upload_id": "0" * 12}}))
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "dataset", "params"]
    sneaky = client.post("/api/runs", json=run_config(dataset={"name": "upload", "params": {"upload_id": "../../x"}}))
    assert sneaky.status_code == 422
