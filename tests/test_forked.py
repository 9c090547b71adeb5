"""Jobs shared with a forked child: results in order, errors as one process gives them."""

from __future__ import annotations

import os

import pytest

from supa_schema_cli import forked

needs_fork = pytest.mark.skipif(not forked.usable(), reason="needs Linux and two cores")


def square(n: int) -> int:
    return n * n


@needs_fork
def test_jobs_run_in_two_processes_and_results_keep_their_order():
    assert forked.run([os.getpid]) == [os.getpid()]  # one job: no child
    ran = forked.run([(lambda i=i: (i, os.getpid(), _slow())) for i in range(40)])
    assert [i for i, _, _ in ran] == list(range(40))
    assert len({pid for _, pid, _ in ran}) == 2
    assert os.getpid() in {pid for _, pid, _ in ran}


def _slow() -> int:
    return sum(range(200_000))


def test_serial_when_asked(monkeypatch):
    monkeypatch.setenv("SUPA_SCHEMA_JOBS", "1")
    ran = forked.run([(lambda i=i: (i, os.getpid())) for i in range(10)])
    assert ran == [(i, os.getpid()) for i in range(10)]


@needs_fork
def test_the_first_failing_job_raises_wherever_it_ran():
    def job(i: int) -> int:
        _slow()
        if i in (7, 23):
            raise ValueError(f"job {i}")
        return i

    for _ in range(3):  # whichever process takes job 7, its error is the one raised
        with pytest.raises(ValueError, match="job 7"):
            forked.run([(lambda i=i: job(i)) for i in range(30)])


@needs_fork
def test_jobs_of_a_child_that_dies_run_in_the_parent():
    parent = os.getpid()

    def job(i: int) -> int:
        if os.getpid() != parent and i % 2:
            os._exit(3)  # the child dies without sending anything
        _slow()
        return square(i)

    assert forked.run([(lambda i=i: job(i)) for i in range(20)]) == [square(i) for i in range(20)]
