"""``ibmq-local``: run the local IBM Quantum service from the command line."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from ._datadir_lock import DataDirInUse, DataDirLock
from ._faults import fault_plan
from .app import create_app
from .config import ConfigError, load_settings, parse_user_option
from .service import bind_socket, default_data_dir, url_host, uvicorn_config

DEFAULT_PORT = 8555
TOKEN_ENV = "IBMQ_LOCAL_TOKEN"
"""Environment variable holding the default user's API token (after --token, --token-file)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ibmq-local",
        description="A local IBM Quantum service speaking the qiskit-ibmq-provider protocol.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve until interrupted (Ctrl-C or SIGTERM)")
    serve.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default: %(default)s)"
    )
    serve.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="TCP port, 0 for any free port (default: %(default)s)",
    )
    serve.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=f"configuration and job database (default: {default_data_dir()})",
    )
    serve.add_argument(
        "--token",
        default=None,
        help="API token of the default user; other users of the machine can read it in "
        f"the process list: prefer --token-file or ${TOKEN_ENV} (default: kept in the "
        "data dir)",
    )
    serve.add_argument(
        "--token-file",
        type=Path,
        default=None,
        metavar="PATH",
        help="read the API token of the default user from this file",
    )
    serve.add_argument(
        "--fault-rate",
        type=float,
        default=None,
        metavar="F",
        help="make each request fail with probability F, 0 to 1 (HTTP 5xx, 429, dropped "
        "connections; default: the configuration's fault_rate, 0)",
    )
    serve.add_argument(
        "--fault-seed",
        type=int,
        default=None,
        metavar="S",
        help="seed of the injected faults, to repeat a run (default: the configuration's "
        "fault_seed, else random and printed)",
    )
    serve.add_argument(
        "--idempotency-keys",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="honour Idempotency-Key on job creation, and say so in /version (default: the "
        "configuration's idempotency_keys, true)",
    )
    serve.add_argument(
        "--websocket",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="serve the job-status websocket; without it clients poll (default: the "
        "configuration's websocket, true)",
    )
    serve.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="PATH",
        help="configuration file, .toml or .json (default: config.toml or config.json "
        "in the data dir)",
    )
    serve.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="ID:TOKEN[:HUB/GROUP/PROJECT,...]",
        help="add a user (repeatable); the first project is the user's default "
        "(default: ibm-q/open/main)",
    )
    serve.add_argument(
        "--log-level",
        default="warning",
        choices=["critical", "error", "warning", "info", "debug"],
        help="server log level (default: %(default)s)",
    )
    return parser


def serve(
    host: str,
    port: int,
    data_dir: Path | None,
    token: str | None,
    log_level: str,
    *,
    config_file: Path | None = None,
    users: Sequence[str] = (),
    token_file: Path | None = None,
    fault_rate: float | None = None,
    fault_seed: int | None = None,
    idempotency_keys: bool | None = None,
    websocket: bool | None = None,
) -> int:
    """Serve in the foreground until SIGINT/SIGTERM; return the exit status.

    The default user's token is ``token``, else the content of ``token_file``, else
    ``$IBMQ_LOCAL_TOKEN``, else the one kept in the data directory.
    """
    try:
        settings = load_settings(
            data_dir or default_data_dir(),
            token=token or _token_from(token_file) or os.environ.get(TOKEN_ENV) or None,
            config_file=config_file,
            users=[parse_user_option(user) for user in users],
            fault_rate=fault_rate,
            fault_seed=fault_seed,
            idempotency_keys=idempotency_keys,
            websocket=websocket,
        )
    except ConfigError as exc:
        print(f"ibmq-local: {exc}", file=sys.stderr)
        return 2
    try:
        # One service per data directory; embedded services attach to this one.
        hold = DataDirLock.acquire(settings.data_dir)
    except (DataDirInUse, OSError) as exc:
        print(f"ibmq-local: {exc}", file=sys.stderr)
        return 1
    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        hold.release()
        print(f"ibmq-local: cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        return 1
    bound_port = sock.getsockname()[1]
    hold.publish(f"http://{url_host(host)}:{bound_port}/api", settings.default_user.api_token)
    print(f"auth url: http://{url_host(host)}:{bound_port}/api", flush=True)
    print(f"token: {settings.default_user.api_token}", flush=True)
    print(f"data dir: {settings.data_dir}", flush=True)

    app = create_app(settings)
    faults = fault_plan(app)
    if faults is not None:
        print(f"faults: rate {faults.rate}, seed {faults.seed}", flush=True)
    print(f"dashboard: http://{url_host(host)}:{bound_port}/", flush=True)
    server = uvicorn.Server(uvicorn_config(app, log_level=log_level))
    # uvicorn re-raises the signal that stopped it once it has shut down; with these
    # handlers in place that re-raise is a no-op and the process exits with status 0.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        hold.release()
        if faults is not None:
            print(f"ibmq-local: {faults.stats().describe()}", file=sys.stderr, flush=True)
    return 0 if server.started else 1


def _token_from(path: Path | None) -> str | None:
    """The token in ``path`` (surrounding whitespace dropped), if a path is given.

    Raises:
        ConfigError: the file cannot be read or holds no token.
    """
    if path is None:
        return None
    try:
        token = path.expanduser().read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the token file {path}: {exc}") from None
    if not token:
        raise ConfigError(f"the token file {path} is empty")
    return token


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ibmq-local`` console script."""
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(
            args.host,
            args.port,
            args.data_dir,
            args.token,
            args.log_level,
            config_file=args.config,
            users=args.user,
            token_file=args.token_file,
            fault_rate=args.fault_rate,
            fault_seed=args.fault_seed,
            idempotency_keys=args.idempotency_keys,
            websocket=args.websocket,
        )
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
