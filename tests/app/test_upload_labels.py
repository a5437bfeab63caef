"""Uploads name their classes: text labels (cat, dog) are classes by name, whole-number labels read "0" not "0.0",
and a run on an upload that was never made says so (issue 19, item 7)."""

from __future__ import annotations

import io

import numpy as np

from tests.conftest import finish, run_config


def csv_of(labels: list[str], header: str = "a,b,label\n") -> bytes:
    rng = np.random.default_rng(0)
    rows = [f"{p:.3f},{q:.3f},{label}" for (p, q), label in zip(rng.normal(size=(len(labels), 2)), labels, strict=True)]
    return (header + "\n".join(rows)).encode()


def test_text_labels_are_classes_by_name_and_train(client):
    labels = ["cat", "dog", "dog"] * 40
    meta = client.post("/api/uploads", files={"file": ("pets.csv", csv_of(labels))}).json()
    assert meta["task"] == "classification" and meta["classes"] == ["cat", "dog"] and meta["n_classes"] == 2
    no_header = client.post("/api/uploads", files={"file": ("pets.csv", csv_of(labels, header=""))}).json()
    assert no_header["classes"] == ["cat", "dog"] and no_header["n_samples"] == 120
    config = run_config(dataset={"name": "upload", "params": {"upload_id": meta["id"]}}, train={"steps": 20})
    assert finish(client, client.post("/api/runs", json=config).json()["id"])["status"] == "completed"


def test_names_in_an_npz_and_whole_numbers_without_a_point(client):
    buffer = io.BytesIO()
    np.savez(buffer, x=np.ones((20, 3)), y=np.array(["ham", "spam"] * 10))
    assert client.post("/api/uploads", files={"file": ("mail.npz", buffer.getvalue())}).json()["classes"] == [
        "ham", "spam"]
    floats = client.post("/api/uploads", files={"file": ("f.csv", csv_of(["0.0", "1.0", "2.0"] * 10))}).json()
    assert floats["classes"] == ["0", "1", "2"]


def test_a_stray_word_among_numeric_targets_is_refused_with_its_line(client):
    answer = client.post("/api/uploads", files={"file": ("typo.csv", csv_of(["1", "0"] * 10 + ["one"]))})
    assert answer.status_code == 422
    assert "line 22 holds 'one'" in answer.json()["detail"][0]["msg"]


def test_training_on_no_upload_says_to_choose_a_file(client):
    config = run_config(dataset={"name": "upload", "params": {"upload_id": ""}})
    answer = client.post("/api/runs", json=config)
    assert answer.status_code == 422 and "no file uploaded yet" in answer.text
