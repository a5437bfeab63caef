"""A run's whole metrics history as JSON or CSV, written from the stored event texts without a dict per row.

A stored metrics event is `dumps()` of {"step", "epoch", "time", "values": {...}} (compact separators, values
numbers or null). Its text already holds every number as JSON writes it, which is what CSV and JSON want too,
so rows are cut out of the text instead of parsed: 200 000 points go out in a third of the time json.loads per
row took (bench/vs_tensorboard.py). Texts of any other shape (an escaped name, another writer) take the slow
path through json, with the same result.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

HEAD, VALUES = '{"step":', ',"values":{'
CHUNK = 5000  # rows per piece of a streamed response


def _number(value: Any) -> str:
    return "null" if value is None else json.dumps(value)


def _cut(text: str) -> tuple[str, str] | None:
    """The row's '"step":..,"epoch":..,"time":..' and its values' members; None if not of dumps()' shape."""
    at = text.find(VALUES)
    if not text.startswith(HEAD) or at < 0 or not text.endswith("}}") or "\\" in text:
        return None
    return text[1:at], text[at + len(VALUES):-2]


def _json_row(text: str) -> str:
    cut = _cut(text)
    if cut is None:
        payload = json.loads(text)
        return json.dumps({"step": payload["step"], "epoch": payload["epoch"], "time": payload["time"],
                           **payload["values"]}, separators=(",", ":"))
    return "{" + cut[0] + ("," + cut[1] if cut[1] else "") + "}"


def json_body(run_id: str, texts: list[str], tested: dict[str, Any]) -> Iterator[str]:
    """{"id", "metrics": [{"step", "epoch", "time", name: value...}], "test": {...}}, in pieces."""
    yield '{"id":' + json.dumps(run_id) + ',"metrics":['
    for start in range(0, len(texts), CHUNK):
        yield ("," if start else "") + ",".join([_json_row(text) for text in texts[start:start + CHUNK]])
    yield '],"test":' + json.dumps(tested, separators=(",", ":")) + "}"


def _cut_all(texts: list[str]) -> tuple[list[str], list[dict[str, str]]] | None:
    """Every row's "step,epoch,time" and its values as {'"name': JSON number text}, cut with no parsing; None
    unless every text is of dumps()' shape. Checked on the whole, by counting: an escape shows a backslash, a
    name holding a comma adds a cell without adding a '":'."""
    joined, n = "\n".join(texts), len(texts)
    if "\\" in joined or joined.count(HEAD) != n or joined.count(VALUES) != n:
        return None
    heads, rows, cells = [], [], 0
    for text in texts:
        at = text.find(VALUES)
        heads.append(text[len(HEAD):at])
        flat = text[at + len(VALUES):-2].replace('":', ",").split(",")  # '"name', number, '"name', number...
        cells += len(flat)
        rows.append(dict(zip(flat[::2], flat[1::2], strict=False)))  # "" alone: no values
    pairs = joined.count('":') - 4 * n  # less step, epoch, time and values
    if cells != 2 * pairs + joined.count(VALUES + "}}"):  # an empty values object splits into one empty cell
        return None
    return "\n".join(heads).replace(',"epoch":', ",").replace(',"time":', ",").split("\n"), rows


def _parse_all(texts: list[str]) -> tuple[list[str], list[dict[str, str]]]:
    heads, rows = [], []
    for text in texts:
        payload = json.loads(text)
        heads.append(",".join(_number(payload[k]) for k in ("step", "epoch", "time")))
        rows.append({'"' + k: _number(v) for k, v in payload["values"].items()})
    return heads, rows


def csv_body(texts: list[str], tested: dict[str, Any]) -> Iterator[str]:
    """step, epoch, time, then every metric name sorted; an empty cell where a row lacks a value or it was null.
    The test split's scores go on the last row: they were read once, on its weights."""
    heads, rows = _cut_all(texts) or _parse_all(texts)
    if rows and tested:
        rows[-1] = {**rows[-1], **{'"' + k: _number(v) for k, v in tested.items()}}
    names = sorted(set().union(*rows))  # each keeps its opening quote, as cut from the text
    yield ",".join(["step", "epoch", "time", *(_csv_field(name[1:]) for name in names)]) + "\r\n"
    blank = itertools.repeat("")
    for start in range(0, len(rows), CHUNK):
        lines = [head + "," + ",".join(map(row.get, names, blank)) if names else head
                 for head, row in zip(heads[start:start + CHUNK], rows[start:start + CHUNK], strict=True)]
        yield ("\r\n".join(lines) + "\r\n").replace("null", "")  # only a null cell holds "null"


def _csv_field(name: str) -> str:
    """A column name as the csv module quotes it (metric names are plain; an odd one takes json's path)."""
    return '"' + name.replace('"', '""') + '"' if any(c in name for c in ',"\r\n') else name
