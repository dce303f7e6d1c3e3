"""Child processes for tests/test_batch_recovery.py: a batch that gets killed, interrupted or
forked. Run as ``python tests/batch_child.py MODE URL TOKEN [JOB_SET_ID]``; progress goes to
stdout one line at a time so the test can act at the right moment."""

from __future__ import annotations

import os
import signal
import sys

from known_circuits import pattern, pattern_bits

PARTS = 20
"""Jobs in the batches that get killed or interrupted."""
EXPERIMENTS = 500


def say(*words: object) -> None:
    print(*words, flush=True)


def crash(url: str, token: str) -> None:
    """A batch through the async manager; the test kills or interrupts this process
    half-way."""
    import asyncio

    from ibmq_async import AsyncIBMQFactory, AsyncIBMQJobManager, ProgressEvent

    async def main() -> None:
        accounts = AsyncIBMQFactory()
        provider = await accounts.enable_account(token, url=url)
        assert provider is not None
        backend = provider.get_backend("ibmq_qasm_simulator")
        manager = AsyncIBMQJobManager()

        def report(event: ProgressEvent) -> None:
            say("SET", manager.job_sets()[0].job_set_id())
            say("SUBMITTED", event.job_index)

        circuits = [pattern(i) for i in range(EXPERIMENTS)]
        await manager.run(
            circuits,
            backend,
            name="crashed",
            max_experiments_per_job=EXPERIMENTS // PARTS,
            shots=64,
            progress=False,
            callback=report,
        )
        say("DONE")

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # one Ctrl-C is the test; report it
        say("INTERRUPTED")
        sys.exit(130)


def interrupt_submission(url: str, token: str) -> None:
    """A blocking batch; the test sends SIGINT while it is being submitted."""
    from ibmq_sync import IBMQFactory, IBMQJobManager, ProgressEvent

    accounts = IBMQFactory()
    provider = accounts.enable_account(token, url=url)
    assert provider is not None
    backend = provider.get_backend("ibmq_qasm_simulator")
    manager = IBMQJobManager()

    def report(event: ProgressEvent) -> None:
        say("SUBMITTED", event.job_index)

    circuits = [pattern(i) for i in range(EXPERIMENTS)]
    try:
        manager.run(
            circuits,
            backend,
            name="interrupted",
            max_experiments_per_job=EXPERIMENTS // PARTS,
            shots=64,
            progress=False,
            callback=report,
        )
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # one Ctrl-C is the test; report it
        say("INTERRUPTED", manager.job_sets()[0].job_set_id())
        sys.exit(130)
    say("DONE")


def interrupt_results(url: str, token: str, backend_name: str) -> None:
    """A blocking batch on a backend that never runs jobs; SIGINT stops the wait."""
    from ibmq_sync import IBMQFactory, IBMQJobManager

    accounts = IBMQFactory()
    provider = accounts.enable_account(token, url=url)
    assert provider is not None
    backend = provider.get_backend(backend_name)
    manager = IBMQJobManager()
    job_set = manager.run(
        [pattern(i) for i in range(6)],
        backend,
        max_experiments_per_job=2,
        shots=8,
        progress=False,
    )
    say("WAITING", job_set.job_set_id())
    try:
        job_set.results(progress=False)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # one Ctrl-C is the test; report it
        say("INTERRUPTED")
        sys.exit(130)
    say("DONE")


def fork(url: str, token: str) -> None:
    """The blocking facade used before a fork, in the forked child, and after it."""
    from ibmq_sync import IBMQFactory, IBMQJobManager

    accounts = IBMQFactory()
    provider = accounts.enable_account(token, url=url)
    assert provider is not None
    backend = provider.get_backend("ibmq_qasm_simulator")
    assert backend.run(pattern(1), shots=8).result().get_counts() == {pattern_bits(1): 8}
    child = os.fork()
    if child == 0:
        try:
            job_set = IBMQJobManager().run(
                [pattern(i) for i in range(6)],
                backend,
                max_experiments_per_job=2,
                shots=8,
                progress=False,
            )
            results = job_set.results(timeout=120, progress=False)
            good = all(results.get_counts(i) == {pattern_bits(i): 8} for i in range(6))
        except BaseException as exc:  # report anything: the parent only sees the exit code
            print("CHILD FAILED", repr(exc), flush=True)
            good = False
        os._exit(0 if good else 1)
    _, status = os.waitpid(child, 0)
    say("CHILD", os.waitstatus_to_exitcode(status))
    assert backend.run(pattern(2), shots=8).result().get_counts() == {pattern_bits(2): 8}
    say("PARENT OK")


if __name__ == "__main__":
    mode, url, token, *rest = sys.argv[1:]
    if mode == "crash":
        crash(url, token)
    elif mode == "interrupt-submission":
        interrupt_submission(url, token)
    elif mode == "interrupt-results":
        interrupt_results(url, token, *rest)
    elif mode == "fork":
        fork(url, token)
    else:
        raise SystemExit(f"unknown mode {mode}")
