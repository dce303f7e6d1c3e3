#!/usr/bin/env bash
# The `ibmq` command line against a local service: running QASM files, a job's result, listing
# jobs, JSON for scripts and exit codes.
#
#   pip install -e ".[cli,local]"
#   bash examples/cli.sh [DATA_DIR]
#
# One `ibmq-local serve` runs in the background on DATA_DIR (default: a new temporary
# directory), and the commands use it as they would use IBM Quantum: through the account in
# QE_URL and QE_TOKEN (or the one `ibmq account save` keeps). `ibmq COMMAND --local` (with
# `--data-dir DIR`) uses the embedded local service instead, with no server to start.
set -euo pipefail

DATA="${1:-$(mktemp -d)}"
mkdir -p "$DATA"

ibmq-local serve --port 0 --data-dir "$DATA" >"$DATA/serve.log" 2>&1 &
SERVER=$!
trap 'kill -INT "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 600); do # it prints its address and token once it accepts connections
    grep -q '^token:' "$DATA/serve.log" 2>/dev/null && break
    kill -0 "$SERVER" 2>/dev/null || { cat "$DATA/serve.log" >&2; exit 1; }
    sleep 0.1
done
QE_URL=$(sed -n 's/^auth url: //p' "$DATA/serve.log")
QE_TOKEN=$(sed -n 's/^token: //p' "$DATA/serve.log")
export QE_URL QE_TOKEN

cat >"$DATA/bell.qasm" <<'QASM'
OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0], q[1];
measure q -> c;
QASM

cat >"$DATA/ghz.qasm" <<'QASM'
OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
bit[3] c;
h q[0];
cx q[0], q[1];
cx q[1], q[2];
c = measure q;
QASM

# Also: `ibmq backends --no-simulator --min-qubits 127`, `ibmq status ibmq_manila`,
# `ibmq properties ibmq_manila`, `ibmq job ID --cancel`; `ibmq COMMAND --help` for each.

echo "== run a Bell pair (OpenQASM 2) and wait for its counts"
ibmq run "$DATA/bell.qasm" --backend ibmq_qasm_simulator --shots 1000 --wait \
    --tag cli-example

echo "== submit GHZ (OpenQASM 3) to a noisy device; keep its id (--json for scripts)"
JOB=$(ibmq run "$DATA/ghz.qasm" -b ibmq_manila --shots 500 --tag cli-example --json \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["job_id"])')
echo "job: $JOB"

echo "== wait for that job's result, as JSON"
ibmq job "$JOB" --result --json >"$DATA/ghz.json"
python3 - "$DATA/ghz.json" <<'PY'
import json
import sys

with open(sys.argv[1]) as file:
    data = json.load(file)
print(f"{data['status']}: counts {data['counts']}")
PY

echo "== jobs tagged cli-example that are done, newest first"
ibmq jobs --tag cli-example --status done --limit 5

echo "== exit codes: 3 means not found (0 ok, 1 service, 2 usage, 4 job failed, 5 timeout)"
code=0
ibmq status no_such_backend || code=$?
echo "exit code: $code"
