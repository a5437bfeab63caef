"""The metrics export cut from the stored texts: the same CSV and JSON as parsing every row, without parsing."""

from __future__ import annotations

import csv
import io
import json

import pytest

from app import export
from engine.events import dumps

ROWS = [
    {"step": 0, "epoch": 0.0, "time": 0.0, "values": {"train_loss": 0.69, "lr": 0.01}},
    {"step": 10, "epoch": 0.1234, "time": 1.5e-05, "values": {"train_loss": None, "lr": 0.01, "val_loss": 1e+20}},
    {"step": 20, "epoch": 0.25, "time": 3.0, "values": {}},
    {"step": 30, "epoch": 0.375, "time": 4.5, "values": {"grad_norm/0.weight": -2.5e-07, "lr": 0.005}},
]
# names a plain split would get wrong: a comma, a quote, a colon, non-ASCII; they take json's path
ODD = {"step": 40, "epoch": 0.5, "time": 6.0, "values": {"a,b": 1.0, 'say "hi"': 2, "x:y": 3.5, "λ": 4.0}}
TESTED = {"test_loss": 0.31, "test_acc": 0.875}


def reference_csv(rows: list[dict], tested: dict) -> str:
    """The export as the csv module writes rows of dicts (what the route did before)."""
    flat = [{"step": r["step"], "epoch": r["epoch"], "time": r["time"], **r["values"]} for r in rows]
    if flat and tested:
        flat[-1] = {**flat[-1], **tested}
    columns = ["step", "epoch", "time"] + sorted({k for r in flat for k in r} - {"step", "epoch", "time"})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, restval="")
    writer.writeheader()
    writer.writerows(flat)
    return buffer.getvalue()


@pytest.mark.parametrize("rows", [ROWS, [*ROWS, ODD], [ODD], []], ids=["plain", "with-odd-names", "odd", "empty"])
@pytest.mark.parametrize("tested", [TESTED, {}], ids=["tested", "untested"])
def test_the_export_matches_parsing_every_row(rows, tested):
    texts = [dumps(r) for r in rows]
    assert "".join(export.csv_body(texts, tested)) == reference_csv(rows, tested)
    body = json.loads("".join(export.json_body("abc", texts, tested)))
    flat = [{"step": r["step"], "epoch": r["epoch"], "time": r["time"], **r["values"]} for r in rows]
    assert body == {"id": "abc", "metrics": flat, "test": tested}


def test_plain_rows_are_cut_from_their_text_not_parsed(monkeypatch):
    texts = [dumps(r) for r in ROWS * 3000]  # more rows than one streamed piece
    expected_csv, expected_json = "".join(export.csv_body(texts, TESTED)), "".join(export.json_body("r", texts, {}))

    def refuse(*args, **kwargs):
        raise AssertionError("a plain row was parsed")

    monkeypatch.setattr(export.json, "loads", refuse)
    assert "".join(export.csv_body(texts, TESTED)) == expected_csv
    assert "".join(export.json_body("r", texts, {})) == expected_json
    assert len(json.JSONDecoder().decode(expected_json)["metrics"]) == len(texts)
