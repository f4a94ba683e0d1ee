"""``python -m dosim --port 8089``: the simulator, standalone.

Faults on the command line: ``--fault droplet_create:lost_response=1,lost_mode=hang``
(repeatable; parameters as in ``dosim.faults.PARAMS``).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from dosim.faults import OPERATIONS, PARAMS, FaultError, parse_cli
from dosim.server import make_server


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dosim", description="A DigitalOcean API simulator.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8089)
    p.add_argument("--token", default="dosim-token", help="the Bearer token it accepts")
    p.add_argument("--domain", action="append", dest="domains", help="zone to serve (repeatable)")
    p.add_argument("--boot-delay", type=float, default=1.0, help="seconds a droplet stays new")
    p.add_argument("--rate-limit-per-minute", type=int, default=0, help="429 past this (0: none)")
    p.add_argument("--rate-limit-per-hour", type=int, default=0, help="429 past this an hour (0: none)")
    p.add_argument("--seed", type=int, default=None, help="seed for failure_rate")
    for name, what in (
        ("regions", "region slugs"),
        ("sizes", "size slugs"),
        ("images", "distribution image slugs"),
        ("unsold", "region:size pairs the region does not sell"),
    ):
        p.add_argument(f"--{name}", default=None, help=f"the catalog's {what}, comma-separated")
    faults = "; ".join(f"{k}: {v[2]}" for k, v in PARAMS.items())
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="OP:KEY=VALUE,...",
        help=f"operations: {', '.join(OPERATIONS)}. Parameters: {faults}",
    )
    p.add_argument(
        "--control-from-anywhere",
        action="store_true",
        help="let non-loopback clients use the unauthenticated /_dosim/ control API",
    )
    p.add_argument("--verbose", action="store_true", help="log every request")
    return p


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="dosim %(message)s")
    config = {
        "token": args.token,
        "boot_delay": args.boot_delay,
        "rate_limit_per_minute": args.rate_limit_per_minute,
        "rate_limit_per_hour": args.rate_limit_per_hour,
        "seed": args.seed,
    }
    if args.domains:
        config["domains"] = args.domains
    for name in ("regions", "sizes", "images", "unsold"):
        if getattr(args, name) is not None:
            config[name] = getattr(args, name)
    server = make_server(args.host, args.port, **config)
    server.control_from_anywhere = args.control_from_anywhere
    try:
        for text in args.fault:
            operation, spec = parse_cli(text)
            server.state.faults.set(operation, spec)
    except FaultError as exc:
        print(f"dosim: --fault: {exc}", file=sys.stderr)
        return 2
    # SIGTERM (honcho, the bench harness) ends it as cleanly as Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    host, port = server.server_address[:2]
    logging.info("serving the DigitalOcean API at http://%s:%s/v2/", host, port)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.state.wake.set()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
