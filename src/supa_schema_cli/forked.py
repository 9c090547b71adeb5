"""Independent jobs shared with one forked child process, to use a second core.

An update's renders are independent of each other and spend their time in
Python (Jinja), so one process uses one core whatever the machine has. A
forked child starts with the parent's state (templates loaded, projects
folded), so nothing is sent to it: parent and child take job numbers from one
queue (a pipe holding them all, read four bytes at a time, which a pipe hands
out whole to one reader), and the child sends back its results, pickled. A
job the child did not finish (it failed or died) is run by the parent, where
its error, if any, is raised; of several failing jobs, the first listed raises,
as it would if they ran one after the other.

Only on Linux, with two usable cores and ``SUPA_SCHEMA_JOBS`` not ``1``: fork
without exec is not safe on macOS once system frameworks are loaded.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

_INDEX = 4  # bytes per job number in the queue


def usable() -> bool:
    """Whether jobs can be shared with a forked child here."""
    if os.environ.get("SUPA_SCHEMA_JOBS") == "1" or not sys.platform.startswith("linux"):
        return False
    return hasattr(os, "fork") and len(os.sched_getaffinity(0)) >= 2


def run(jobs: Sequence[Callable[[], T]]) -> list[T]:
    """Every job's result, in order; jobs run here and in one forked child.

    Jobs should be listed longest first: each process takes the next one when
    it is free, so a long job taken last would leave the other process idle.
    """
    if len(jobs) < 2 or not usable():
        return [job() for job in jobs]
    queue_r, queue_w = os.pipe()
    os.write(queue_w, b"".join(i.to_bytes(_INDEX, "big") for i in range(len(jobs))))
    os.close(queue_w)
    results_r, results_w = os.pipe()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # or the child would write what is buffered again
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(results_r)
        code = 0
        try:
            done, _ = _take(jobs, queue_r)
            with os.fdopen(results_w, "wb") as out:
                pickle.dump(done, out, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:  # noqa: BLE001 - the parent runs what is missing
            code = 1
        os._exit(code)
    os.close(results_w)
    try:
        done, failed = _take(jobs, queue_r)
    finally:
        os.close(queue_r)
        with os.fdopen(results_r, "rb") as results:
            received = results.read()
        os.waitpid(pid, 0)
    try:
        done.update(pickle.loads(received))
    except Exception:  # noqa: BLE001 - the child died before sending: run its jobs here
        pass
    ordered = []
    for i, job in enumerate(jobs):
        if i in failed:
            raise failed[i]
        ordered.append(done[i] if i in done else job())
    return ordered


def _take(jobs: Sequence[Callable[[], T]], queue: int) -> tuple[dict[int, T], dict[int, Exception]]:
    """Run jobs from ``queue`` until it is empty: their results and their errors.
    A job failing in the child is run again by the parent (the error raised is its)."""
    done: dict[int, T] = {}
    failed: dict[int, Exception] = {}
    while True:
        raw = os.read(queue, _INDEX)
        if len(raw) < _INDEX:
            return done, failed
        i = int.from_bytes(raw, "big")
        try:
            done[i] = jobs[i]()
        except Exception as err:  # noqa: BLE001 - raised in job order by ``run``
            failed[i] = err
