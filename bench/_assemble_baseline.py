"""The serialization baseline: qiskit 1.4's ``assemble()`` plus ``json.dumps``, in its own process.

Run as ``python -m bench._assemble_baseline`` (from the repository root) by an interpreter with
qiskit 1.4 (qiskit 2 has no ``assemble``). ``bench/serialization.py`` writes the workload as
one JSON line on standard input (see ``bench/_circuits.py``, plus ``per_job``, ``shots``,
``backend_name``, ``backend_version`` and ``run_config``: the further ``assemble`` arguments
that make its config match ours); the script builds the circuits and answers one JSON line
with every circuit's instruction count. Then, for each line ``go`` it reads, it serializes
every job once (``assemble`` on each slice of ``per_job`` circuits, then ``qobj.to_dict()``
through ``json.dumps`` and ``encode``, as the legacy client uploaded it) and answers one JSON
line: wall and CPU seconds, experiments and bytes. A line ``quit`` (or the end of input) ends it.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
import warnings
from typing import Any

from bench._circuits import build


class _Encoder(json.JSONEncoder):
    """The legacy client's encoding rules: complex as ``[re, im]``, numpy values as Python."""

    def default(self, o: Any) -> Any:
        if isinstance(o, complex):
            return [o.real, o.imag]
        if hasattr(o, "tolist"):
            return o.tolist()
        return super().default(o)


def _serialize(circuits: list[Any], spec: dict[str, Any]) -> tuple[int, int]:
    from qiskit import assemble

    per_job = spec["per_job"]
    experiments = size = 0
    for start in range(0, len(circuits), per_job):
        qobj = assemble(
            circuits[start : start + per_job],
            shots=spec["shots"],
            qobj_id=str(uuid.uuid4()),
            qobj_header={
                "backend_name": spec["backend_name"],
                "backend_version": spec["backend_version"],
            },
            **spec["run_config"],
        )
        body = json.dumps(qobj.to_dict(), cls=_Encoder).encode()
        experiments += len(qobj.experiments)
        size += len(body)
    return experiments, size


def main() -> int:
    warnings.simplefilter("ignore")
    import qiskit

    spec: dict[str, Any] = json.loads(sys.stdin.readline())
    circuits = build(spec)
    ready = {"qiskit": qiskit.__version__, "instructions": [len(c.data) for c in circuits]}
    print(json.dumps(ready), flush=True)
    for line in sys.stdin:
        if line.strip() != "go":
            break
        wall, cpu = time.perf_counter(), time.process_time()
        experiments, size = _serialize(circuits, spec)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        reply = {"seconds": wall, "cpu": cpu, "experiments": experiments, "bytes": size}
        print(json.dumps(reply), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
