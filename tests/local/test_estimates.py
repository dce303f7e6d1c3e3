"""The queue estimator replays the dispatcher: one job per backend, a limited number of slots."""

from __future__ import annotations

from ibmq_local._estimates import QueuedJob, Slot, estimate_schedule


def job(sequence: int, name: str, duration: float = 10.0) -> QueuedJob:
    return QueuedJob(sequence, name, duration)


def test_jobs_on_one_backend_run_back_to_back_after_the_running_one() -> None:
    queues = {"a": [job(1, "a1"), job(2, "a2", 5.0)]}
    schedule = estimate_schedule(queues, running={"a": 3.0}, slots=4)
    assert schedule == {"a1": Slot(3.0, 13.0), "a2": Slot(13.0, 18.0)}


def test_free_slots_start_other_backends_at_once() -> None:
    queues = {"a": [job(1, "a1")], "b": [job(2, "b1")]}
    schedule = estimate_schedule(queues, running={}, slots=2)
    assert schedule == {"a1": Slot(0.0, 10.0), "b1": Slot(0.0, 10.0)}


def test_one_slot_serialises_backends_in_queue_order() -> None:
    queues = {"a": [job(1, "a1"), job(4, "a2")], "b": [job(2, "b1"), job(3, "b2")]}
    schedule = estimate_schedule(queues, running={"c": 1.0}, slots=1)
    order = sorted(schedule, key=lambda name: schedule[name].start)
    assert order == ["a1", "b1", "b2", "a2"]
    assert schedule["a1"] == Slot(1.0, 11.0)
    assert schedule["a2"] == Slot(31.0, 41.0)


def test_a_slot_waits_for_a_busy_backend_rather_than_skipping_its_turn() -> None:
    # Two slots, but the only queued work is behind the job running on "a".
    schedule = estimate_schedule({"a": [job(1, "a1")]}, running={"a": 7.0}, slots=2)
    assert schedule == {"a1": Slot(7.0, 17.0)}


def test_nothing_queued_gives_nothing() -> None:
    assert estimate_schedule({}, running={"a": 1.0}, slots=1) == {}
    assert estimate_schedule({"a": []}, running={}, slots=1) == {}
