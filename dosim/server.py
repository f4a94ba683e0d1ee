"""HTTP front of the simulator: Bearer auth, rate limits and fault injection
around the routes (``dosim.routes``) and the control API, on the standard
library's ``ThreadingHTTPServer``.

``start_in_thread(port=0, **config)`` runs it in-process (tests);
``python -m dosim`` runs it standalone.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from dosim import render
from dosim.control_api import control
from dosim.routes import match
from dosim.state import State

log = logging.getLogger("dosim")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without it every keep-alive answer waits ~40 ms on delayed ACK (docs/decisions/0010).
    disable_nagle_algorithm = True
    server: DosimServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _read_body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw.strip():
            return {}
        return json.loads(raw)

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        # Trailing slashes are optional, as at DigitalOcean.
        path = parts.path.rstrip("/") or "/"
        query = dict(parse_qsl(parts.query))
        try:
            body = self._read_body()
        except ValueError:
            self.send_json(400, render.error_body(400, "The request body is not valid JSON."))
            return
        if path.startswith("/_dosim/"):
            status, payload = control(
                self.server.state,
                method,
                path,
                body,
                peer=self.client_address[0],
                open_to_all=getattr(self.server, "control_from_anywhere", False),
            )
            self.send_json(status, payload)
            return
        found = match(method, path)
        if not found:
            status = 405 if found is False else 404
            self.send_json(status, render.error_body(status, f"No route for {method} {path}."))
            return
        operation, m, work = found
        # Pagination links point back at the address the client used, unless
        # config.links_base says otherwise (a test of clients that must refuse
        # to follow a link to another host).
        host = self.server.state.config.links_base or f"http://{self.headers.get('Host', '127.0.0.1')}"
        base = host.rstrip("/") + path
        work_now = lambda s, now: work(s, m, query, body, base, now)  # noqa: E731
        self._api(method, path, query, operation, work_now, body)

    def _authorized(self) -> bool:
        expected = "Bearer " + self.server.state.config.token
        return self.headers.get("Authorization", "") == expected

    def _api(self, method: str, path: str, query: dict, operation: str, work, body: Any) -> None:
        state = self.server.state
        entry = {"method": method, "path": path, "query": query, "operation": operation, "fault": None}
        # The name a create carries (a droplet's, a record's): a reader of the
        # log can tell whose request it was.
        entry["name"] = body.get("name") if isinstance(body, dict) else None
        # The client's end of the connection: which requests shared one.
        host, port = self.client_address[:2]
        entry["connection"] = f"{host}:{port}"
        with state.lock:
            wake = state.wake
            latency = state.faults.get(operation, "latency")
        if latency > 0:
            wake.wait(latency)
        with state.lock:
            now = time.time()
            entry["time"] = now
            headers, limited = self._rate_limit(state, now)
            injected = lost = None
            if not self._authorized():
                status, payload = 401, render.error_body(401, "Unable to authenticate you.")
            elif limited:
                status, payload = 429, render.error_body(429, "API Rate limit exceeded.")
            elif injected := state.faults.before(operation):
                status, payload = injected.status, render.error_body(injected.status, injected.message)
                entry["fault"] = "injected"
            else:
                status, payload = work(state, now)
                state.counts[operation] = state.counts.get(operation, 0) + 1
                lost = state.faults.lost(operation)
            entry["status"] = status
            if lost:
                entry["fault"] = f"lost_response:{lost[0]}"
                entry["status"] = lost[1].status if lost[0] == "error" else None
            state.log.append(entry)
            if state.config.capture and not lost:
                state.exchanges.append({**entry, "body": body, "response": payload, "headers": dict(headers)})
        if injected and injected.retry_after is not None:
            headers["retry-after"] = str(int(injected.retry_after + 0.999))
        if lost:
            self._lose(lost, headers, wake)
            return
        self.send_json(status, payload, headers)

    def _lose(self, lost, headers: dict, wake: threading.Event) -> None:
        mode, injected = lost
        if mode == "hang":
            # Hold the request past the client's timeout, then drop it unanswered.
            wake.wait(injected.hang)
            self.close_connection = True
            return
        self.send_json(injected.status, render.error_body(injected.status, injected.message), headers)

    def _rate_limit(self, state: State, now: float) -> tuple[dict[str, str], bool]:
        """Both sliding windows; headers as DigitalOcean sends them (dosim/ratelimit.py)."""
        config = state.config
        return state.rate_limit.admit(
            now, per_minute=config.rate_limit_per_minute, per_hour=config.rate_limit_per_hour
        )

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if payload is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class DosimServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: State):
        super().__init__(address, Handler)
        self.state = state


@dataclass
class Handle:
    server: DosimServer
    thread: threading.Thread

    @property
    def state(self) -> State:
        return self.server.state

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v2/"

    def stop(self) -> None:
        self.state.wake.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def make_server(host: str = "127.0.0.1", port: int = 0, **config: Any) -> DosimServer:
    state = State()
    state.config.update(config)
    state.reset()
    return DosimServer((host, port), state)


def start_in_thread(port: int = 0, host: str = "127.0.0.1", **config: Any) -> Handle:
    server = make_server(host, port, **config)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    return Handle(server, thread)
