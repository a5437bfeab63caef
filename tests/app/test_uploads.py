"""Uploads: CSV, NPZ and IDX become data sets that train; bad files get clear 4xx; pickles never load."""

from __future__ import annotations

import asyncio
import io
import pickle
import struct
import zipfile

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


def _zip(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(f"{name}.npy", data)
    return buffer.getvalue()


def _npy_header(shape: tuple, descr: str = "<f4") -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def _refused(client, files: dict, reason: str) -> None:
    answer = client.post("/api/uploads", files=files)
    assert answer.status_code == 422, answer.text
    assert reason in answer.json()["detail"][0]["msg"], answer.text


def test_what_an_npz_unpacks_to_is_capped_by_its_headers(client):
    # 8 MB of zeros packs into a few KB; the test server takes 1 MB, sent or unpacked
    buffer = io.BytesIO()
    np.savez_compressed(buffer, x=np.zeros((200_000, 10), np.float32), y=np.zeros(200_000, np.float32))
    bomb = buffer.getvalue()
    assert len(bomb) < 100_000
    _refused(client, {"file": ("bomb.npz", bomb)}, "unpacks to 8,000,000 bytes")
    # a header that declares 4 TiB: refused from the header, nothing is allocated
    liar = _zip(x=_npy_header((2**40,)) + b"\0" * 64, y=_npy_header((10,)) + b"\0" * 40)
    _refused(client, {"file": ("liar.npz", liar)}, "unpacks to 4,398,046,511,104 bytes")
    short = _zip(x=_npy_header((20, 2)) + b"\0" * 8, y=_npy_header((20,)) + b"\0" * 80)
    _refused(client, {"file": ("short.npz", short)}, "header promises 160 bytes of data but the file holds 8")


def test_arrays_without_samples_or_features_are_refused(client):
    _refused(client, {"file": ("scalar.npz", _npz(x=np.array(1.0), y=np.array(2.0)))}, "0-d array")
    _refused(client, {"file": ("nofeatures.npz", _npz(x=np.ones((20, 0)), y=np.zeros(20)))}, "at least one feature")
    _refused(client, {"file": ("nolabels.npz", _npz(x=np.ones((20, 2)), y=np.zeros((20, 0))))}, "one target")
    _refused(client, {"file": ("deep.npz", _npz(x=np.ones((20,) + (1,) * 5), y=np.zeros(20)))}, "6 dimensions")
    _refused(client, {"file": ("text.npz", _npz(x=np.array(["a"] * 20), y=np.zeros(20)))}, "must hold numbers")


def test_a_csv_field_over_the_csv_limit_is_a_clear_error(client):
    rows = b"1,2\n" * 20 + b"1," + b"9" * 200_000 + b"\n"
    _refused(client, {"file": ("long.csv", rows)}, "field larger than field limit")
    _refused(client, {"file": ("one.csv", b"1\n" * 20)}, "same number of columns")
    _refused(client, {"file": ("word.csv", b"a,b\n" + b"1,2\n" * 20 + b"1,x\n")}, "not a number")


def _idx_raw(dims: list[int], data: bytes = b"", dtype: int = 0x08) -> bytes:
    return bytes([0, 0, dtype, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + data


def test_idx_headers_that_lie_are_clear_errors(client):
    labels = ("labels", _idx(np.arange(20) % 2))

    def images(raw: bytes) -> dict:
        return {"images": ("images", raw), "labels": labels}

    _refused(client, images(bytes([0, 0, 8, 3]) + b"\0\0\0\x14"), "ends within it")
    _refused(client, images(_idx_raw([1] * 255, b"\0")), "255 dimensions")
    # 65536**4 = 2**64: numpy's int64 product wrapped to 0 and matched an empty body
    _refused(client, images(_idx_raw([65536] * 4)), "promises 18,446,744,073,709,551,616 bytes")
    _refused(client, images(bytes([0, 0, 8, 0])), "0-d array")


def test_parsing_runs_outside_the_event_loop(client, monkeypatch):
    from engine.datasets import uploads

    seen = []
    save = uploads.save

    def spy(*args, **kwargs):
        try:
            asyncio.get_running_loop()
            seen.append("event loop")
        except RuntimeError:
            seen.append("worker thread")
        return save(*args, **kwargs)

    monkeypatch.setattr(uploads, "save", spy)
    rows = b"\n".join(b"%d,%d" % (i, i % 2) for i in range(20))
    assert client.post("/api/uploads", files={"file": ("ok.csv", rows)}).status_code == 201
    assert seen == ["worker thread"]
