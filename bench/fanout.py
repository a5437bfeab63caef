"""50 SSE subscribers on one training run: does each get every event in order, and how late?

Usage: python bench/fanout.py [subscribers] [seconds]   (starts and stops its own server on 127.0.0.1)
Prints one JSON line; target: every subscriber complete and in order, p99 delivery lag <= 100 ms.

Lag of a metrics event at a subscriber, two definitions, both reported:
- spread lag (the target): its arrival there minus the earliest arrival of the same event id at any subscriber,
  i.e. what fan-out adds for the unluckiest subscriber;
- emission lag: arrival minus the event's own `time` (the trainer's clock), aligned by subtracting the smallest
  (arrival - time) seen over all events and subscribers, i.e. delay beyond the fastest delivery observed.
Only live events count for lag (first arrival after every subscriber was connected + 0.5 s), not the replay.
Arrival is when this process parses the event, so the client's own share of the two cores is in the numbers;
one more subscriber alone in its own process (lone_subscriber_emission_lag) and the lateness of this process's
event loop (client_loop_lag) tell server-side delay from client-side delay.
"""

from __future__ import annotations

import asyncio
import json
import math
import multiprocessing as mp
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from local_server import LONG_RUN, local_server, machine, start_runs, stop_runs

TARGET_LAG_MS = 100.0
METRICS_PER_S = 35  # aimed at; the brief asks for 20-50 metrics events per second
# with 50 subscribers attached a run trained at 0.55-0.85x its calibration speed here: the client and the web
# process take their share of the two cores
LOADED_SPEED = 0.65
SETTLE_S = 0.5


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]  # nearest rank


def calibrate(client: httpx.Client, seconds: float = 3.0) -> float:
    """Steps per second of one run on this machine now, from its own metrics events (step and trainer time)."""
    run_id = start_runs(client, 1, {**LONG_RUN, "train": {**LONG_RUN["train"], "eval_every": 50}})[0]
    points = []
    try:
        deadline = time.monotonic() + 30
        with client.stream("GET", f"/api/runs/{run_id}/events") as response:
            for line in response.iter_lines():
                if line.startswith("data:") and '"step"' in line and '"values"' in line:
                    metrics = json.loads(line[5:])
                    points.append((metrics["step"], metrics["time"]))
                    if metrics["time"] > 1.0 + seconds or time.monotonic() > deadline:
                        break
    finally:
        stop_runs(client, [run_id])
    late = [p for p in points if p[1] > 1.0] or points  # skip the first second: first allocations
    return (late[-1][0] - late[0][0]) / max(1e-9, late[-1][1] - late[0][1])


class EventParser:
    """SSE lines in; feed() returns (id, kind, data) when a blank line completes an event."""

    def __init__(self) -> None:
        self.id, self.kind, self.data = None, None, None

    def feed(self, line: str) -> tuple[int, str, str] | None:
        if line.startswith("id:"):
            self.id = int(line[3:].strip())
        elif line.startswith("event:"):
            self.kind = line[6:].strip()
        elif line.startswith("data:"):
            self.data = line[5:].strip()
        elif line == "" and self.id is not None:
            event = (self.id, self.kind, self.data)
            self.id, self.kind, self.data = None, None, None
            return event
        return None  # a field line, or a keep-alive comment


async def subscribe(client: httpx.AsyncClient, run_id: str, seen: list, connected: list, index: int) -> None:
    """Read the stream to its `done`; keep (id, kind, arrival, data of metrics events)."""
    parser = EventParser()
    async with client.stream("GET", f"/api/runs/{run_id}/events") as response:
        response.raise_for_status()
        connected[index] = time.perf_counter()
        async for line in response.aiter_lines():
            event = parser.feed(line)
            if event is not None:
                event_id, kind, data = event
                seen.append((event_id, kind, time.perf_counter(), data if kind == "metrics" else None))
                if kind == "done":
                    return


def canary(base: str, run_id: str, out: str, limit_s: float) -> None:
    """One more subscriber, alone in its own process: delivery as the server does it, without the load of the
    50-subscriber process. perf_counter is the system's monotonic clock, so its stamps compare with the parent's."""
    rows: list = []
    parser = EventParser()
    deadline = time.monotonic() + limit_s
    with httpx.Client(base_url=base, timeout=httpx.Timeout(10.0, read=30.0)) as client:
        with client.stream("GET", f"/api/runs/{run_id}/events") as response:
            for line in response.iter_lines():
                event = parser.feed(line)
                if event is not None:
                    event_id, kind, data = event
                    emitted = json.loads(data)["time"] if kind == "metrics" else None
                    rows.append((event_id, kind, time.perf_counter(), emitted))
                    if kind == "done" or time.monotonic() > deadline:
                        break
    Path(out).write_text(json.dumps(rows))


async def tick(overshoots: list, period: float = 0.01) -> None:
    """How late this process's own event loop wakes up: if it is busy, every arrival here is stamped late."""
    while True:
        before = time.perf_counter()
        await asyncio.sleep(period)
        overshoots.append((time.perf_counter() - before - period) * 1000)


async def watch(base: str, run_id: str, subscribers: int, seconds: float) -> tuple[list[list], float, list]:
    limits = httpx.Limits(max_connections=subscribers + 5, max_keepalive_connections=subscribers + 5)
    timeout = httpx.Timeout(10.0, read=30.0)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
        seen: list[list] = [[] for _ in range(subscribers)]
        connected: list[float | None] = [None] * subscribers
        tasks = [asyncio.create_task(subscribe(client, run_id, seen[i], connected, i)) for i in range(subscribers)]
        deadline = time.monotonic() + 20
        while None in connected and time.monotonic() < deadline and not any(t.done() for t in tasks):
            await asyncio.sleep(0.05)
        if None in connected:
            raise RuntimeError(f"only {subscribers - connected.count(None)} of {subscribers} subscribers connected")
        all_connected = max(connected)
        overshoots: list[float] = []
        ticker = asyncio.create_task(tick(overshoots))
        await asyncio.sleep(seconds)
        ticker.cancel()
        await client.post(f"/api/runs/{run_id}/control", json={"action": "stop"})
        done, pending = await asyncio.wait(tasks, timeout=30)
        for task in pending:
            task.cancel()
        for task in done:
            task.result()  # a subscriber's error is the bench's error
        return seen, all_connected, overshoots


def emission_lags(rows: list[tuple[float, float]]) -> list[float]:
    """(arrival, trainer time) pairs -> ms beyond the fastest delivery among them."""
    offset = min(arrival - emitted for arrival, emitted in rows)
    return [(arrival - emitted - offset) * 1000 for arrival, emitted in rows]


def stats(samples: list[float]) -> dict:
    return {"p50_ms": round(statistics.median(samples), 2), "p99_ms": round(percentile(samples, 0.99), 2),
            "max_ms": round(max(samples), 2)}


def analyse(seen: list[list], all_connected: float) -> tuple[dict, set[int]]:
    last_id = max(s[-1][0] for s in seen if s)
    in_order = sum(1 for s in seen if [e[0] for e in s] == list(range(1, last_id + 1)) and s[-1][1] == "done")
    arrivals: dict[int, list[float]] = {}
    emitted: dict[int, float] = {}
    for events in seen:
        for event_id, kind, arrival, data in events:
            if kind == "metrics":
                arrivals.setdefault(event_id, []).append(arrival)
                emitted.setdefault(event_id, json.loads(data)["time"])
    live = {i: times for i, times in arrivals.items() if min(times) > all_connected + SETTLE_S}
    spread_lags, spreads, raw = [], [], []
    for event_id, times in live.items():
        first = min(times)
        spread_lags += [(t - first) * 1000 for t in times]
        spreads.append((max(times) - first) * 1000)
        raw += [(t, emitted[event_id]) for t in times]
    live_times = sorted(emitted[i] for i in live)
    duration = live_times[-1] - live_times[0] if len(live_times) > 1 else math.nan
    return {
        "subscribers": len(seen), "complete_in_order": in_order, "events": last_id,
        "live_metrics_events": len(live), "metrics_per_s": round(len(live) / duration, 1),
        "spread_lag": stats(spread_lags), "event_spread": stats(spreads), "emission_lag": stats(emission_lags(raw)),
    }, set(live)


def main() -> None:
    subscribers = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
    scratch = Path(tempfile.mkdtemp(prefix="descent-fanout-"))
    # two workers, the default: one torch thread each (one worker would get two, which crawl when the cores are shared)
    try:
        with local_server(workers=2) as server, httpx.Client(base_url=server.base, timeout=30) as client:
            steps_per_s = calibrate(client)
            eval_every = max(1, round(steps_per_s * LOADED_SPEED / METRICS_PER_S))
            config = {**LONG_RUN, "train": {**LONG_RUN["train"], "eval_every": eval_every}}
            run_id = start_runs(client, 1, config)[0]
            args = (server.base, run_id, str(scratch / "lone.json"), seconds + 40)
            lone = mp.get_context("spawn").Process(target=canary, args=args, daemon=True)
            lone.start()
            try:
                cpu_before, own_before, start = server.cpu_seconds(), time.process_time(), time.perf_counter()
                seen, all_connected, overshoots = asyncio.run(watch(server.base, run_id, subscribers, seconds))
                own, end = time.process_time() - own_before, time.perf_counter()
                elapsed = end - start
                cpu_after = server.cpu_seconds()
            finally:
                stop_runs(client, [run_id])
                lone.join(timeout=30)
                if lone.is_alive():
                    lone.kill()
            where = machine(client)
        lone_rows = json.loads((scratch / "lone.json").read_text())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result, live = analyse(seen, all_connected)
    alone = [(arrival, emitted) for event_id, _, arrival, emitted in lone_rows if event_id in live]
    result["lone_subscriber_emission_lag"] = stats(emission_lags(alone))
    result["client_loop_lag"] = {"p50_ms": round(statistics.median(overshoots), 2),
                                 "p99_ms": round(percentile(overshoots, 0.99), 2)}
    # share of one core the web process used while the subscribers listened (its workers not included)
    result["server_cpu_percent"] = None if None in (cpu_before, cpu_after) else round(
        100 * (cpu_after - cpu_before) / elapsed)
    result["client_cpu_percent"] = round(100 * own / elapsed)  # the 50 subscribers' process, same cores
    # all the web process's CPU time divided by the events it handed to subscribers meanwhile: what one
    # delivery costs it, so whether it can keep up with subscribers x events/s on the share of a core it gets
    delivered = sum(1 for events in seen for event in events if start <= event[2] <= end)
    if None not in (cpu_before, cpu_after) and delivered:
        result["server_cpu_ms_per_delivery"] = round(1000 * (cpu_after - cpu_before) / delivered, 3)
    p99 = result["spread_lag"]["p99_ms"]
    ok = result["complete_in_order"] == subscribers and p99 <= TARGET_LAG_MS
    print(json.dumps({
        "bench": "fanout", **where, "seconds": seconds, "eval_every": eval_every, **result,
        "target_p99_lag_ms": TARGET_LAG_MS, "ratio_p99_to_target": round(p99 / TARGET_LAG_MS, 3),
        "emission_p99_within_target": result["emission_lag"]["p99_ms"] <= TARGET_LAG_MS, "pass": ok,
    }), flush=True)


if __name__ == "__main__":
    main()
