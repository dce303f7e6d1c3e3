"""Vendor the pulse defaults of the devices the local service serves.

qiskit-ibm-runtime's device snapshots carry configurations and calibrations but no pulse
defaults; qiskit-terra 0.46's fake provider shipped them for 33 devices. This script takes
them from that wheel (downloaded from PyPI) for every device the installed qiskit-ibm-runtime
serves, and writes them, compact and gzipped, to ``ibmq_local/data/pulse_defaults``, with the
licence notice they came under. Run it only to refresh the data:

    python tools/vendor_pulse_defaults.py
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "ibmq_local" / "data" / "pulse_defaults"
SOURCE = "qiskit-terra==0.46.3"
PREFIX = "qiskit/providers/fake_provider/backends/"


def served_names() -> set[str]:
    """The device names the installed qiskit-ibm-runtime ships snapshots of."""
    import qiskit_ibm_runtime.fake_provider as fake

    folder = Path(fake.__file__).parent / "backends"
    return {json.loads(p.read_text())["backend_name"] for p in folder.glob("*/conf_*.json")}


def main() -> int:
    """Download the wheel, pick the defaults of served devices, write them gzipped."""
    served = served_names()
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", SOURCE, "-d", scratch],
            check=True,
        )
        (wheel,) = Path(scratch).glob("*.whl")
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
            licence = next(n for n in names if n.endswith(".dist-info/LICENSE.txt"))
            written = []
            for name in sorted(names):
                path = PurePosixPath(name)
                if not name.startswith(PREFIX) or not path.name.startswith("defs_"):
                    continue
                confs = [n for n in names if n.startswith(f"{path.parent}/conf_")]
                if not confs:
                    continue
                backend = json.loads(archive.read(confs[0]))["backend_name"]
                if backend not in served:
                    continue
                defaults = json.loads(archive.read(name))
                data = json.dumps(defaults, separators=(",", ":"), sort_keys=True).encode()
                (TARGET / f"{backend}.json.gz").write_bytes(gzip.compress(data, 9, mtime=0))
                written.append(backend)
            notice = (
                f"The files in this folder are the pulse defaults of IBM Quantum devices as\n"
                f"shipped in {SOURCE} (qiskit/providers/fake_provider/backends/*/defs_*.json),\n"
                "re-encoded as compact gzipped JSON by tools/vendor_pulse_defaults.py.\n"
                "They are distributed under the licence of qiskit-terra, which follows.\n\n"
                + archive.read(licence).decode()
            )
            (TARGET / "NOTICE").write_text(notice)
    print(f"wrote the pulse defaults of {len(written)} devices: {', '.join(written)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
