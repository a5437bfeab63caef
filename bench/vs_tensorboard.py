"""Descent beside TensorBoard, row by row, on this machine: one JSON line per row with both figures and the ratio.

Rows: first visible point, training with the same readings (× a bare loop), the same through the server, a
200 000-point series read back as CSV and as JSON, cold start to the first answer, the server's memory.
TensorBoard runs from its own venv (never a requirement of Descent; bench/README.md says how to make it).

Usage: python bench/vs_tensorboard.py [--tb-python /tmp/tbvenv/bin/python] [--points 200000] [--repeats 3]
       [--markdown]   (--markdown also prints the README's table)
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from bench import served  # noqa: E402
from bench.first_point import first_point  # noqa: E402
from bench.local_server import ROOT, free_port, local_server, warm_pool  # noqa: E402
from bench.overhead import CASES  # noqa: E402

SIDE = str(Path(__file__).resolve().parent / "tb_side.py")
RUN_ID = "ab0000000000"


def tensorboard_side(python: str, *args: str) -> dict:
    out = subprocess.run([python, SIDE, *args], check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def rss_mb(pid: int, with_children: bool = False) -> float:
    """Resident memory of a process (and its children: TensorBoard's data server is one), from /proc."""
    pids = [pid]
    if with_children:
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids += [int(c) for c in (task / "children").read_text().split()]
    total = 0
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


@contextlib.contextmanager
def process(command: list[str], env: dict | None = None):
    proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def answered(url: str, timeout: float = 120.0, until: Callable[[httpx.Response], bool] = lambda _: True) -> None:
    """Until `url` answers 200 (and `until` holds for the answer), asking every 10 ms. One client for all tries:
    httpx.get makes a client, and with it an SSL context, at each call (20 ms of CPU here), which took half a core
    from the server being started."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                response = client.get(url)
                if response.status_code == 200 and until(response):
                    return
            time.sleep(0.01)
    raise RuntimeError(f"{url} did not answer in {timeout:.0f}s")


def tensorboard_command(python: str, logdir: str, port: int, *extra: str) -> list[str]:
    return [python, "-m", "tensorboard.main", "--logdir", logdir, "--host", "127.0.0.1", "--port", str(port), *extra]


def cold_starts(python: str, rounds: int) -> dict:
    """Process start to the first 200: Descent's /healthz, TensorBoard's /data/environment (it has no health).
    Descent twice: a restart on its database (the usual start) and a first start, which creates the schema; and a
    restart until /healthz says the database is open (it opens in the background, app/backend.py). Then each side's
    first page after a start: Descent's builder, TensorBoard's index."""
    sides = {"restart": "/healthz", "first": "/healthz", "open": "/healthz", "tensorboard": "/data/environment",
             "page": "/", "tensorboard_page": "/"}
    samples: dict[str, list[float]] = {side: [] for side in sides}

    def database_open(response: httpx.Response) -> bool:
        return response.json().get("database") == "open"

    # as `make run` and the image do: bytecode made beforehand (TensorBoard's came with its wheel)
    subprocess.run([sys.executable, "-m", "compileall", "-q", "engine", "app"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(rounds):
            for side in list(sides) if i % 2 == 0 else list(sides)[::-1]:
                port, path = free_port(), sides[side]
                if side.startswith("tensorboard"):
                    env, command = {}, tensorboard_command(python, f"{tmp}/empty", port)
                else:
                    database = f"{tmp}/cold{i}.db" if side == "first" else f"{tmp}/kept.db"
                    # `python -m app`, as `make run` and the image start it
                    env = {"DESCENT_DATABASE_URL": f"sqlite:///{database}", "DESCENT_DATA_DIR": tmp,
                           "DESCENT_HOST": "127.0.0.1", "DESCENT_PORT": str(port)}
                    command = [sys.executable, "-m", "app"]
                    if side != "first" and not Path(database).exists():
                        with process(command, env):  # the database's first start, not measured
                            answered(f"http://127.0.0.1:{port}{path}")
                        port = free_port()
                        env["DESCENT_PORT"] = str(port)
                until = database_open if side == "open" else (lambda _: True)
                start = time.perf_counter()
                with process(command, env):
                    answered(f"http://127.0.0.1:{port}{path}", until=until)
                    samples[side].append(time.perf_counter() - start)
    return {side: statistics.median(values) for side, values in samples.items()}


def fill_descent(database: Path, n: int) -> None:
    from app.store import RunRow, Store
    from engine.events import dumps

    store = Store(f"sqlite:///{database}")
    events = [(RUN_ID, step + 1, "metrics", dumps({
        "step": step, "epoch": round(step / 19, 4), "time": round(step * 4e-4, 4),
        "values": {"train_loss": 2.0 * math.exp(-step / 20_000) + 0.05 * math.sin(step / 37.0) ** 2}}))
        for step in range(n)]
    store.add_run(RunRow(id=RUN_ID, name="read-back", status="completed", config=CASES["mlp_moons"], progress=1.0,
                         total_steps=n, created=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
    store.write(events, {RUN_ID: {}})


def timed_get(client: httpx.Client, url: str, params: dict | None = None) -> float:
    start = time.perf_counter()
    response = client.get(url, params=params)
    response.raise_for_status()
    return time.perf_counter() - start


def loaded(client: httpx.Client, series: dict) -> list:
    """The points TensorBoard has read so far (none while it has not found the run)."""
    response = client.get("/data/plugin/scalars/scalars", params=series)
    return response.json() if response.status_code == 200 else []


def servers(python: str, points: int, rounds: int) -> dict:
    """Read-back, first point and memory, with both servers up: Descent on a store holding a run of `points`
    points of one series, TensorBoard on a log folder of the same series, all points kept."""
    figures: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        database, logdir = Path(tmp) / "descent.db", Path(tmp) / "logs"
        fill_descent(database, points)
        tensorboard_side(python, "fill", str(logdir), str(points))
        port = free_port()
        tb = f"http://127.0.0.1:{port}"
        # every point kept (with its fast loader, TensorBoard reads scalars=0 as none)
        command = tensorboard_command(python, str(logdir), port, "--samples_per_plugin", f"scalars={points}")
        with local_server(workers=1, database=database) as server, process(command) as board, \
                httpx.Client(base_url=server.base, timeout=120) as ours, \
                httpx.Client(base_url=tb, timeout=120) as theirs:
            series = {"run": "run", "tag": "train_loss"}
            answered(f"{tb}/data/environment")
            deadline = time.monotonic() + 300
            while len(loaded(theirs, series)) < points:
                if time.monotonic() > deadline:
                    raise RuntimeError("TensorBoard did not load the series in 300 s")
                time.sleep(0.5)
            for fmt in ("csv", "json"):
                reads = {"descent": (ours, f"/api/runs/{RUN_ID}/metrics", {"format": fmt}),
                         "tensorboard": (theirs, "/data/plugin/scalars/scalars", {**series, "format": fmt})}
                first = {side: timed_get(*read) for side, read in reads.items()}
                times: dict[str, list[float]] = {"descent": [], "tensorboard": []}
                for i in range(rounds):
                    for side in (list(reads) if i % 2 == 0 else list(reads)[::-1]):
                        times[side].append(timed_get(*reads[side]))
                figures[f"read_{fmt}"] = {side: statistics.median(t) for side, t in times.items()}
                figures[f"read_{fmt}"]["first"] = first
            figures["rss_mb"] = {"descent": rss_mb(server.pid), "tensorboard": rss_mb(board.pid, with_children=True)}
            warm_pool(ours, 1)
            terminal = {s["name"] for s in ours.get("/api/catalog").json()["statuses"] if s["terminal"]}
            first_point(ours, terminal)  # warm-up
            figures["first_point"] = {
                "descent": statistics.median(first_point(ours, terminal) for _ in range(5)),
                "tensorboard": tensorboard_side(python, "first", tb, str(logdir), "5")["median_s"]}
            figures["rss_after_runs_mb"] = {"descent": rss_mb(server.pid),
                                            "tensorboard": rss_mb(board.pid, with_children=True)}
    return figures


def row(name: str, unit: str, descent: float, tensorboard: float, higher_is_better: bool = False,
        note: str = "") -> dict:
    ratio = descent / tensorboard if higher_is_better else tensorboard / descent  # > 1: Descent ahead
    return {"bench": "vs_tensorboard", "row": name, "unit": unit, "descent": round(descent, 3),
            "tensorboard": round(tensorboard, 3), "descent_advantage": round(ratio, 2), "ahead_or_equal": ratio >= 1,
            **({"note": note} if note else {})}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tb-python", default="/tmp/tbvenv/bin/python", help="the TensorBoard venv's python")
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    python = args.tb_python
    machine = {"machine": platform.machine(), "cpus": os.cpu_count(), "load_avg_1m_start": round(os.getloadavg()[0], 2)}
    figures = servers(python, args.points, args.repeats)
    with tempfile.TemporaryDirectory() as tmp:
        training = tensorboard_side(python, "train", str(args.repeats), tmp)
    through = served.measure("mlp_moons", CASES["mlp_moons"], max(args.repeats, served.ROUNDS), served.BUDGET_S, {})
    cold = cold_starts(python, args.repeats)
    engine = training["engine_over_bare"]
    rows = [
        row("first visible point", "s", figures["first_point"]["descent"], figures["first_point"]["tensorboard"],
            note="POST /api/runs → first metrics event at an SSE client; add_scalar + flush → the point in "
                 "TensorBoard's HTTP API (default reload interval)"),
        row("training with the same readings", "× bare loop", engine, training["writer_over_bare"], True,
            note="engine in-process; bare loop + the same evaluations via SummaryWriter; MLP on moons, 3 000 steps"),
        row("the same run through the server", "× bare loop", engine * through["ratio_served_over_in_process"],
            training["writer_over_bare"], True, note="served steps/s from the run's own events × engine ÷ bare"),
        row(f"read back {args.points:,} points as CSV (warm)", "s", figures["read_csv"]["descent"],
            figures["read_csv"]["tensorboard"]),
        row(f"read back {args.points:,} points as JSON (warm)", "s", figures["read_json"]["descent"],
            figures["read_json"]["tensorboard"]),
        row("cold start to the first answer", "s", cold["restart"], cold["tensorboard"],
            note="/healthz on its database; TensorBoard /data/environment"),
        row("first start, creating the database", "s", cold["first"], cold["tensorboard"],
            note="/healthz of a server whose database does not exist yet; TensorBoard /data/environment"),
        row("cold start until the database is open", "s", cold["open"], cold["tensorboard"],
            note="/healthz saying database: open; TensorBoard /data/environment (it has no database)"),
        row("cold start to the first page", "s", cold["page"], cold["tensorboard_page"],
            note="/ (the builder) on its database; TensorBoard's / (its index page)"),
        row("server memory (RSS) holding the series", "MB", figures["rss_mb"]["descent"],
            figures["rss_mb"]["tensorboard"], note="Descent's web process (workers apart); TensorBoard and its "
                                                    "data server"),
        row("server memory (RSS) after runs", "MB", figures["rss_after_runs_mb"]["descent"],
            figures["rss_after_runs_mb"]["tensorboard"]),
    ]
    machine["load_avg_1m_end"] = round(os.getloadavg()[0], 2)
    for line in rows:
        print(json.dumps({**line, **machine}), flush=True)
    firsts = {k: figures[k]["first"] for k in ("read_csv", "read_json")}  # the first read, before any cache
    print(json.dumps({"bench": "vs_tensorboard", "first_reads": firsts,
                      "served_over_in_process": through["ratio_served_over_in_process"],
                      "served_over_in_process_90pct": through["median_90pct_interval"], **machine}))
    if args.markdown:
        print("\n| | Descent | TensorBoard 2.21 | Descent's advantage |\n|---|---|---|---|")
        for line in rows:
            print(f"| {line['row']} ({line['unit']}) | {line['descent']:g} | {line['tensorboard']:g} | "
                  f"{line['descent_advantage']:g}× |")


if __name__ == "__main__":
    main()
