"""Checkpoints written beside training: save() only hands the state over; wait() means on disk, or the error."""

from __future__ import annotations

import threading

import pytest
import torch

from engine import checkpoint

RUN = "0123456789ab"


def test_save_returns_before_the_file_is_written_and_wait_after(tmp_path, monkeypatch):
    release, written = threading.Event(), []
    real = checkpoint.write

    def slow_write(*args, **kwargs):
        release.wait(10)  # a slow disk
        real(*args, **kwargs)
        written.append(args[2])

    monkeypatch.setattr(checkpoint, "write", slow_write)
    writer = checkpoint.Writer(tmp_path)
    writer.save(RUN, 10, {"step": 10, "w": torch.ones(3)})
    writer.save(RUN, 20, {"step": 20, "w": torch.zeros(3)})
    assert written == []  # the training thread went on while the disk was busy
    waiting = threading.Thread(target=writer.wait)
    waiting.start()
    waiting.join(0.2)
    assert waiting.is_alive()  # wait() holds until every checkpoint handed over is written
    release.set()
    waiting.join(10)
    assert written == [10, 20] and checkpoint.steps_on_disk(tmp_path, RUN) == [10, 20]
    assert torch.equal(checkpoint.read(tmp_path, RUN, 20)["w"], torch.zeros(3))
    writer.close()


def test_a_failed_write_is_raised_by_wait(tmp_path):
    (tmp_path / RUN).write_text("a file where the run's folder should be")
    writer = checkpoint.Writer(tmp_path)
    writer.save(RUN, 10, {"step": 10})
    with pytest.raises(OSError):
        writer.wait()
    writer.wait()  # reported once
    writer.close()
