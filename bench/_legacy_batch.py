"""The legacy contenders: qiskit-ibmq-provider 0.20.2's ``IBMQJobManager``, or its plain loop.

``manager`` hands every circuit to ``IBMQJobManager().run(..., max_experiments_per_job=1)`` and
collects ``results()``. ``loop`` is what a script written for the legacy client does under a job
limit: ``backend.run(circuit)`` then ``job.result()``, one job after the other (submitting all
jobs first is not an option: the legacy client raises at the job limit instead of waiting).

Run as a script by the interpreter of an environment that has the legacy client (qiskit-terra
0.46, which cannot live beside qiskit 2): ``bench/batch.py`` writes the work as JSON on its
standard input as one line (service URL and token, backend, shots, circuits as OpenQASM 2,
``mode``). Once
logged in, the script prints ``ready`` and waits for a line ``go``, so the caller can read the
service's CPU time first; then it prints one JSON line. The timed part is the same as for the
other contenders: submit every job and collect every result.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import warnings
from typing import Any


def main() -> int:
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    work: dict[str, Any] = json.loads(sys.stdin.readline())
    from qiskit import QuantumCircuit
    from qiskit.providers.ibmq import IBMQ
    from qiskit.providers.ibmq.managed import IBMQJobManager

    circuits = [QuantumCircuit.from_qasm_str(text) for text in work["circuits"]]
    started = time.perf_counter()
    provider = IBMQ.enable_account(work["token"], url=work["url"])
    backend = provider.get_backend(work["backend"])
    login = time.perf_counter() - started
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return 1
    try:
        cpu = time.process_time()
        started = time.perf_counter()
        if work.get("mode", "manager") == "loop":
            counts = [
                dict(backend.run(circuit, shots=work["shots"]).result().get_counts())
                for circuit in circuits
            ]
        else:
            job_set = IBMQJobManager().run(
                circuits, backend=backend, max_experiments_per_job=1, shots=work["shots"]
            )
            results = job_set.results()
            counts = [dict(results.get_counts(i)) for i in range(len(circuits))]
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
    finally:
        IBMQ.disable_account()
    reply = {"seconds": seconds, "cpu_seconds": cpu, "login_seconds": login, "counts": counts}
    print(json.dumps(reply), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
