"""The pure parts of batch submission: job-limit bookkeeping, run tokens, job-set layouts."""

from __future__ import annotations

import pytest
from qiskit import QuantumCircuit
from qiskit.result import Result

from ibmq_async import (
    IBMQJobManagerInvalidStateError,
    IBMQJobManagerJobNotFound,
    IBMQManagedResultDataNotAvailable,
)
from ibmq_async._core.exceptions import IBMQBackendApiError
from ibmq_async._core.jobsets import (
    Layout,
    job_set_tag,
    new_job_set_id,
    parse_part_name,
    part_name,
    user_tags,
)
from ibmq_async._core.managed_results import ManagedResults
from ibmq_async._core.models import BackendJobLimit
from ibmq_async._core.slots import REFRESH_FIRST, REFRESH_MAX, SlotBook
from ibmq_async._core.submission import (
    RUN_TOKEN_PREFIX,
    is_ambiguous,
    never_got_its_qobj,
    new_run_token,
)
from ibmq_async._core.submission import user_tags as without_tokens


def limit(maximum: int, running: int) -> BackendJobLimit:
    return BackendJobLimit.model_validate({"maximumJobs": maximum, "runningJobs": running})


def test_the_book_admits_nothing_before_the_first_report() -> None:
    book = SlotBook()
    assert not book.admit()
    book.reported(limit(3, 1))
    assert book.admit() and book.admit() and not book.admit()
    assert book.reserved == 2 and book.free == 0


def test_a_created_job_holds_its_slot_until_it_is_seen_final() -> None:
    book = SlotBook()
    book.reported(limit(2, 0))
    assert book.admit()
    book.created("a")
    assert book.admit()
    book.created("b")
    assert not book.admit()
    assert not book.finished("someone-else")  # not ours: frees nothing
    assert book.finished("a") and book.admit()
    assert not book.finished("a")  # counted once only


def test_a_failed_creation_gives_its_slot_back() -> None:
    book = SlotBook()
    book.reported(limit(1, 0))
    assert book.admit() and not book.admit()
    book.abandoned()
    assert book.admit()


def test_a_3458_fills_the_book_until_the_next_report() -> None:
    book = SlotBook()
    book.reported(limit(5, 0))
    assert book.admit()
    book.full()
    assert not book.admit() and book.running == 5
    book.reported(limit(5, 4))
    assert book.admit() and not book.admit()


def test_no_limit_admits_everyone() -> None:
    book = SlotBook()
    book.reported(BackendJobLimit.model_validate({"maximumJobs": -1, "runningJobs": 7}))
    assert all(book.admit() for _ in range(100)) and book.free is None


def test_reports_slow_down_while_nothing_frees_up() -> None:
    book = SlotBook()
    book.reported(limit(2, 2))
    intervals = []
    for _ in range(12):
        book.reported(limit(2, 2))
        intervals.append(book.interval)
    assert intervals == sorted(intervals) and intervals[-1] == REFRESH_MAX
    book.reported(limit(2, 1))
    assert book.interval == REFRESH_FIRST


def test_a_failed_report_lets_one_creation_probe() -> None:
    book = SlotBook()
    book.report_failed()
    assert book.admit()  # no limit known: rely on 3458
    full = SlotBook()
    full.reported(limit(2, 2))
    full.report_failed()
    assert full.admit() and not full.admit()


def test_run_tokens_are_unique_internal_tags() -> None:
    tokens = {new_run_token() for _ in range(1000)}
    assert len(tokens) == 1000 and all(t.startswith(RUN_TOKEN_PREFIX) for t in tokens)
    assert without_tokens(["a", next(iter(tokens)), "b"]) == ["a", "b"]


@pytest.mark.parametrize(
    ("status", "ambiguous"),
    [
        (-1, True),
        (502, True),
        (504, True),
        (524, True),
        (500, True),
        (429, True),
        (400, False),
        (401, False),
        (404, False),
    ],
)
def test_which_failures_may_have_created_the_job(status: int, ambiguous: bool) -> None:
    assert is_ambiguous(IBMQBackendApiError("x", status_code=status)) is ambiguous


def test_a_job_cancelled_before_its_qobj_is_told_apart() -> None:
    assert never_got_its_qobj({"CREATING": 1, "CANCELLED": 2})
    assert not never_got_its_qobj({"CREATING": 1, "QUEUED": 2, "CANCELLED": 3})
    assert not never_got_its_qobj(None) and not never_got_its_qobj({})


def test_layouts_split_into_consecutive_slices() -> None:
    layout = Layout.plan(500, 75, None)
    assert layout.jobs == 7 and [len(layout.part(i)) for i in range(7)] == [75] * 6 + [50]
    assert layout.locate(0) == (0, 0) and layout.locate(76) == (1, 1)
    assert layout.locate(499) == (6, 49)
    with pytest.raises(IndexError):
        layout.locate(500)
    assert Layout.plan(10, 75, 4).size == 4 and Layout.plan(10, None, None).jobs == 1
    assert Layout.plan(10, 3, 100).size == 3  # never more than the backend takes


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "3"])
def test_bad_experiment_counts_per_job_are_refused(bad: object) -> None:
    with pytest.raises(IBMQJobManagerInvalidStateError):
        Layout.plan(10, 75, bad)  # type: ignore[arg-type]
    with pytest.raises(IBMQJobManagerInvalidStateError):
        Layout.plan(0, 75, None)


def test_a_layout_round_trips_through_its_tag() -> None:
    set_id = new_job_set_id()
    layout = Layout(500, 75)
    tags = ["user", job_set_tag(set_id), layout.tag(set_id)]
    assert Layout.from_tags(set_id, tags) == layout
    assert Layout.from_tags("another-set", tags) is None
    assert user_tags(tags) == ["user"]
    assert parse_part_name(part_name("my_set", 12)) == ("my_set", 12)
    assert parse_part_name("no index") is None and parse_part_name(None) is None


def _result(names: list[str], counts: list[dict[str, int]], success: bool = True) -> Result:
    return Result.from_dict(
        {
            "backend_name": "dev",
            "backend_version": "1",
            "qobj_id": "q",
            "job_id": "j",
            "success": success,
            "results": [
                {
                    "shots": 10,
                    "success": success,
                    "data": {"counts": {hex(int(k, 2)): v for k, v in c.items()}},
                    "header": {"name": n, "memory_slots": 1},
                }
                for n, c in zip(names, counts, strict=True)
            ],
        }
    )


def test_managed_results_address_experiments_across_jobs() -> None:
    layout = Layout(3, 2)
    results = ManagedResults(
        layout,
        [_result(["a", "b"], [{"0": 10}, {"1": 10}]), _result(["c"], [{"1": 7}])],
        "dev",
    )
    assert results.success
    assert results.get_counts(2) == {"1": 7} and results.get_counts("b") == {"1": 10}
    assert results.get_counts(QuantumCircuit(1, name="a")) == {"0": 10}
    assert len(results.combine_results().results) == 3
    with pytest.raises(IBMQJobManagerJobNotFound):
        results.get_counts("nope")
    with pytest.raises(IBMQJobManagerJobNotFound):
        results.get_counts(3)


def test_a_missing_job_result_is_reported_by_experiment() -> None:
    results = ManagedResults(Layout(3, 2), [_result(["a", "b"], [{"0": 1}, {"0": 1}]), None], "d")
    assert not results.success and results.get_counts(1) == {"0": 1}
    with pytest.raises(IBMQManagedResultDataNotAvailable, match="Experiment 2"):
        results.get_counts(2)
    with pytest.raises(IBMQManagedResultDataNotAvailable):
        results.combine_results()


def test_progress_draws_bars_on_request_and_calls_back(capsys: pytest.CaptureFixture[str]) -> None:
    from ibmq_async.progress import Progress, ProgressEvent

    events: list[ProgressEvent] = []
    meter = Progress(3, "sweep", show=True, callback=events.append)
    meter.start("submitted", already=1)
    meter.step("submitted", 1, "job-b")
    meter.step("submitted", 2, None, "refused")
    meter.close()
    err = capsys.readouterr().err
    assert "sweep submitted" in err and "3/3" in err
    assert [(e.job_index, e.submitted, e.error) for e in events] == [
        (1, 2, None),
        (2, 3, "refused"),
    ]


def test_progress_stays_quiet_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from ibmq_async.progress import Progress

    meter = Progress(2, "quiet")  # pytest's stderr is not a terminal
    meter.step("finished", 0)
    meter.close()
    assert capsys.readouterr().err == ""


def test_a_job_created_while_a_report_is_under_way_is_not_lost() -> None:
    # Reproduces a 3458 seen with 32 submitting threads: the report was counted on the
    # server before job "x" existed and arrived after "x" was created, so "x" went uncounted.
    book = SlotBook()
    book.reported(limit(2, 0))
    assert book.admit()  # "x" is being created
    book.report_started()
    book.created("x")
    book.reported(limit(2, 1))  # counted before "x": only another job
    assert book.running == 2 and not book.admit()
