"""The pace and membership rules of the shared status poll (``_core/status_poll.py``)."""

from __future__ import annotations

from ibmq_async._core.defaults import FIRST_POLL, POLL_GROWTH
from ibmq_async._core.models import ApiJobStatus, JobStatusResponse
from ibmq_async._core.status_poll import PollBook, chunks, status_filter


def reply(status: ApiJobStatus) -> JobStatusResponse:
    return JobStatusResponse(status=status)


def test_a_round_asks_for_its_ids_in_chunks_of_one_hundred() -> None:
    ids = [f"job{i}" for i in range(250)]
    assert [len(chunk) for chunk in chunks(ids)] == [100, 100, 50]
    flt = status_filter(ids[:3])
    assert flt["where"] == {"id": {"inq": ["job0", "job1", "job2"]}} and flt["limit"] == 3
    assert flt["fields"] == {"id": True, "status": True, "infoQueue": True}


def test_the_interval_backs_off_resets_on_change_and_stays_under_each_wait() -> None:
    book = PollBook()
    first = book.join("a", wait=1.0)
    assert book.due() == float("-inf")  # a new group looks at once
    queued = reply(ApiJobStatus.QUEUED)
    now = 0.0
    for _ in range(10):
        number, ids = book.start_round()
        assert ids == ["a"]
        book.record(number, ids, {"a": queued})
        book.end_round(now)
        assert book.news(first) is not None and book.news(first) is None
        now = book.due()
    assert book.interval == 1.0  # capped by the wait
    late = book.join("b", wait=0.2)
    assert book.due() == book.last_end + FIRST_POLL  # an unseen job is looked at soon
    number, ids = book.start_round()
    book.record(number, ids, {"a": reply(ApiJobStatus.RUNNING), "b": queued})
    book.end_round(now)
    assert book.interval == FIRST_POLL  # a change resets the pace
    number, ids = book.start_round()
    book.record(number, ids, {"a": reply(ApiJobStatus.RUNNING)})  # "b" left out
    book.end_round(now)
    assert book.interval == FIRST_POLL * POLL_GROWTH
    missing = book.news(late)
    assert missing is not None and missing.reply is None and missing.error is None
    book.leave(late)
    book.leave(first)
    assert book.job_ids == [] and book.due() == float("inf")
    assert book.requests == 12


def test_a_final_job_is_not_asked_for_again() -> None:
    book = PollBook()
    book.join("a", wait=5.0)
    book.join("b", wait=5.0)
    number, ids = book.start_round()
    book.record(number, ids, {"a": reply(ApiJobStatus.COMPLETED), "b": reply(ApiJobStatus.QUEUED)})
    book.end_round(0.0)
    assert book.start_round()[1] == ["b"]
