"""Job rules without I/O: the job-set tag prefix and the failure report (the status poll's
schedule is in ``status_poll``)."""

from __future__ import annotations

from typing import Any

from .exceptions import IBMQJobInvalidStateError

JOB_SET_TAG_PREFIX = "ibmq_jobset_"
"""Tags of this prefix tie a job to its job set: updates never drop them."""


def failed_experiments(result: dict[str, Any]) -> str | None:
    """The report of the experiments that failed in a Result document, or ``None``."""
    failed = [
        f"Experiment {i}: {item.get('status', 'failed')}"
        for i, item in enumerate(result.get("results") or [])
        if not item.get("success", False)
    ]
    if not failed:
        return None
    return "The following experiments failed:\n" + "\n".join(failed)


def failure_summary(job_id: str, message: str | None) -> str:
    """The message of ``IBMQJobFailureError``: one line, pointing at ``error_message()`` when
    the full report is longer."""
    if message and "\n" in message:
        message = "Use job.error_message() to get more details."
    return f"Unable to retrieve result for job {job_id}. Job has failed: {message}"


def _tag_list(value: Any, name: str) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise IBMQJobInvalidStateError(f"{name} must be a list of strings, not {value!r}.")
    return list(value)


def new_tags(
    current: list[str], replacement: Any = None, additional: Any = None, removal: Any = None
) -> list[str]:
    """A job's tags after ``update_tags``: replace, then add, then remove (protocol.md 4.9).

    Job-set tags (``ibmq_jobset_...``) are kept whatever the arguments say.

    Raises:
        IBMQJobInvalidStateError: no change was asked for, or an argument is not a list of
            strings.
    """
    replace = _tag_list(replacement, "replacement_tags")
    add = _tag_list(additional, "additional_tags")
    remove = _tag_list(removal, "removal_tags")
    if replace is None and add is None and remove is None:
        raise IBMQJobInvalidStateError(
            "update_tags() needs replacement_tags, additional_tags or removal_tags."
        )
    kept = [tag for tag in current if tag.startswith(JOB_SET_TAG_PREFIX)]
    tags = [*kept, *(replace if replace is not None else current)]
    tags += add or []
    dropped = {tag for tag in remove or [] if not tag.startswith(JOB_SET_TAG_PREFIX)}
    return list(dict.fromkeys(tag for tag in tags if tag not in dropped))
