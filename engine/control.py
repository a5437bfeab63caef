"""Pause / resume / single-step / stop, read once per training step from two shared integers.

The owner of the run (a worker process, a test) writes `state` and bumps `tokens`; the trainer only
reads them, so a plain shared-memory int is enough and costs nanoseconds on the hot path.
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable
from typing import Any, Protocol

from engine.events import Status

RUN, PAUSE, STOP = 0, 1, 2


class SharedInt(Protocol):
    value: int


class Value:
    """An int holder with the same face as multiprocessing's RawValue, for in-process use."""

    def __init__(self, value: int = 0):
        self.value = value


def steer(action: str, state: SharedInt, tokens: SharedInt) -> None:
    """What the owner of a running job writes for pause, resume, step (one step, then pause) or stop."""
    if action == "step":
        state.value = PAUSE
        tokens.value += 1
    else:
        state.value = {"pause": PAUSE, "resume": RUN, "stop": STOP}[action]


class Steering:
    """Values the owner of a job sets while it trains (lr, momentum, weight_decay, probes; engine/steering.py).

    Slot 0 counts the owner's writes; slot i+1 holds KNOBS[i] (NaN: never set). The owner writes the values, then
    the count; the trainer reads the count once per step (a shared double, like `state`) and the values only when
    it moved. Two writes between steps merge: the later value of a knob wins.
    """

    KNOBS = ("lr", "momentum", "weight_decay", "probes")

    def __init__(self, slots: Any = None):
        self.slots = [0.0] + [math.nan] * len(self.KNOBS) if slots is None else slots
        self.seen = self.slots[0]
        self.taken: dict[str, float] = {}

    def write(self, values: dict[str, float]) -> None:
        for key, value in values.items():
            self.slots[1 + self.KNOBS.index(key)] = float(value)
        self.slots[0] += 1

    def clear(self) -> None:
        """For the next job: nothing set, nothing taken."""
        for i in range(len(self.slots)):
            self.slots[i] = 0.0 if i == 0 else math.nan

    def take(self) -> dict[str, float] | None:
        """The knobs written since the last take whose value differs from what was taken then; None if no write."""
        count = self.slots[0]
        if count == self.seen:
            return None
        self.seen = count
        values = {key: self.slots[1 + i] for i, key in enumerate(self.KNOBS)}
        fresh = {k: v for k, v in values.items() if not math.isnan(v) and self.taken.get(k) != v}
        self.taken.update(fresh)
        return fresh or None


class Action(enum.Enum):
    CONTINUE = "continue"
    SINGLE_STEP = "single_step"  # run one step, then log it so the person sees what it did
    STOP = "stop"


class Control:
    def __init__(
        self, state: SharedInt | None = None, tokens: SharedInt | None = None, poll_s: float = 0.02,
        max_seconds: float | None = None, steering: Steering | None = None,
    ):
        # note: not `state or Value()`: a ctypes int holding 0 is falsy
        self.state = Value(RUN) if state is None else state
        self.tokens = Value(0) if tokens is None else tokens
        self.used = self.tokens.value
        self.poll_s = poll_s
        self.max_seconds = max_seconds
        self.deadline = time.monotonic() + max_seconds if max_seconds else math.inf
        self.reason = ""  # why the run was told to stop, when the owner did not say
        self.steering = steering or Steering()

    def checkpoint(self, emit: Callable[[Status], None]) -> Action:
        state = self.state.value
        if time.monotonic() > self.deadline:
            self.reason = f"stopped: the run reached this server's wall-time limit of {self.max_seconds:g} s"
            return Action.STOP
        if state == RUN:
            return Action.CONTINUE
        if state == STOP:
            return Action.STOP
        announced = False
        while True:
            state = self.state.value
            if state == STOP:
                return Action.STOP
            if state == RUN:
                if announced:
                    emit(Status("running", "resumed"))
                return Action.CONTINUE
            if self.tokens.value > self.used:
                self.used += 1
                return Action.SINGLE_STEP
            if not announced:
                emit(Status("paused", "paused"))
                announced = True
            time.sleep(self.poll_s)
