"""``summaryData`` of a job document: what the service recorded about the job's Qobj.

protocol.md names the field (4.1: the legacy client keeps it as ``job.summary_data_``) but not
its shape. This service writes::

    {"summary": {"qobj_config": {"type": "QASM", "n_qubits": 3, "memory_slots": 3,
                                 "shots": 1024, ...},
                 "num_circuits": 2,
                 "partial_validation": false}}

``qobj_config`` holds the Qobj's ``type`` and the scalar entries of its ``config`` (lists and
objects such as ``parameter_binds`` are left out), so that listings can filter on, e.g.,
``summaryData.summary.qobj_config.n_qubits``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def summary_data(qobj: Mapping[str, Any]) -> dict[str, Any]:
    """The ``summaryData`` of a job whose (validated) Qobj is ``qobj``."""
    config = qobj.get("config")
    scalars = {
        key: value
        for key, value in (config.items() if isinstance(config, Mapping) else ())
        if isinstance(value, str | int | float | bool) or value is None
    }
    experiments = qobj.get("experiments")
    return {
        "summary": {
            "qobj_config": {"type": qobj.get("type", "QASM"), **scalars},
            "num_circuits": len(experiments) if isinstance(experiments, list) else 0,
            "partial_validation": False,
        }
    }
