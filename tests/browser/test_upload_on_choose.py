"""Choosing a file uploads it (no Upload button to forget), its classes are shown by name, and a refused file is an
error, not a grey hint (issue 19, item 7)."""

from __future__ import annotations

import re

import httpx
import numpy as np
from playwright.sync_api import expect

FILE = "#upload-box input[data-upload=file]"


def csv_of(labels: list[str]) -> dict:
    rng = np.random.default_rng(1)
    rows = "\n".join(f"{p:.3f},{q:.3f},{label}" for (p, q), label in zip(rng.normal(size=(len(labels), 2)), labels,
                                                                            strict=True))
    return {"name": "pets.csv", "mimeType": "text/csv", "buffer": ("x,y,label\n" + rows).encode()}


def test_a_file_uploads_when_chosen_and_trains(page, live_server):
    page.goto(live_server + "/")
    page.select_option("#section-dataset select.component", "upload")
    expect(page.locator(FILE)).to_be_visible()
    expect(page.locator("#upload-button")).to_have_count(0)

    page.set_input_files(FILE, {"name": "bad.csv", "mimeType": "text/csv", "buffer": b"1,2\n" * 3})
    error = page.locator("#upload-error")
    expect(error).to_contain_text("at least 10 rows")
    expect(error).to_have_class(re.compile("error-box"))
    expect(error).to_have_attribute("role", "alert")

    page.set_input_files(FILE, csv_of(["0.0", "1.0"] * 30))
    expect(page.locator("#upload-result")).to_contain_text("2 classes: 0, 1")
    expect(error).to_be_hidden()
    page.set_input_files(FILE, csv_of(["cat", "dog", "dog"] * 20))
    expect(page.locator("#upload-result")).to_contain_text("60 samples, points [2], 2 classes: cat, dog")
    upload_id = page.locator("[name='dataset.params.upload_id']")
    expect(upload_id).to_have_value(re.compile(r"^[0-9a-f]{12}$"))
    expect(page.locator("#upload-progress")).to_be_hidden()
    uploaded = upload_id.input_value()

    page.fill("[name='train.steps']", "20")
    page.click("#train-button")  # no Upload button pressed: the file went up when it was chosen
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]{12}$"))
    run = httpx.get(f"{live_server}/api/runs/{page.url.rsplit('/', 1)[1]}", timeout=30).json()
    assert run["config"]["dataset"]["params"]["upload_id"] == uploaded
