"""A webhook receiver for tests and benchmarks: a real HTTP server on 127.0.0.1 that records
every request (headers, raw body, arrival time), checks its signature itself, and answers
what it is told to.

The signature scheme it checks (the gateway's):

    X-Webhook-Timestamp: unix seconds
    X-Webhook-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>[,v1=…]

The key is the endpoint's secret as UTF-8 (`whsec_` prefix included). A request is valid if
any `v1=` value matches any known secret and the timestamp is within 5 minutes of now;
comparisons are constant-time.

In-process (pytest):

    with WebhookReceiver(secrets=[secret]) as receiver:
        receiver.respond(500, times=2)          # the next two requests get a 500
        receiver.respond(429, headers={"Retry-After": "30"})
        receiver.hang(6)                        # the next request waits 6 s before answering
        receiver.wait_for_count(1)

As a script (benchmark):

    python webhook_receiver.py --port P --log FILE --secret-file F [--port-file F]

writes one JSON line per request to FILE: {"t" (arrival, unix seconds), "id" (X-Webhook-Id),
"timestamp", "valid" (the signature matches a secret), "fresh" (the timestamp is within the
tolerance), "status" (the answer), "path", "headers", "body"}. The secret file is read again
whenever it changes, so it may be written after the receiver starts (an endpoint's secret is
known only once the endpoint exists).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.server
import json
import os
import signal
import socket
import socketserver
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Union

SCHEME = "v1"
DEFAULT_TOLERANCE = 300


def sign(secret: str, timestamp: Union[int, str], body: bytes) -> str:
    """The hex HMAC-SHA256 of `timestamp.body` under `secret` (UTF-8)."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets: Sequence[str], timestamp: Union[int, str], body: bytes) -> str:
    """An X-Webhook-Signature value signed with each secret, in order."""
    return ",".join(f"{SCHEME}={sign(secret, timestamp, body)}" for secret in secrets)


def parse_signatures(header: str) -> List[str]:
    """The `v1=` values of a signature header; other schemes and malformed parts are skipped."""
    values = []
    for part in (header or "").split(","):
        scheme, sep, value = part.strip().partition("=")
        if sep and scheme == SCHEME and value:
            values.append(value.strip())
    return values


@dataclass
class Verdict:
    valid: bool  # some v1 value matches some secret and the timestamp is fresh
    signature_ok: bool  # some v1 value matches some secret (freshness aside)
    fresh: bool  # the timestamp is within the tolerance of now
    matched: List[str]  # the secrets that some v1 value matches
    reason: str

    def __bool__(self) -> bool:
        return self.valid


def verify(
    secrets: Iterable[str],
    timestamp: Optional[str],
    body: bytes,
    header: Optional[str],
    tolerance: int = DEFAULT_TOLERANCE,
    now: Optional[float] = None,
) -> Verdict:
    """Checks a delivery's signature header against the known secrets."""
    secrets = list(secrets)
    try:
        ts = int(timestamp or "")
    except ValueError:
        return Verdict(False, False, False, [], "missing or malformed timestamp")
    values = parse_signatures(header or "")
    if not values:
        return Verdict(False, False, False, [], "no v1 signature")
    matched = []
    for secret in secrets:
        expected = sign(secret, timestamp, body)
        # Compare against every value without stopping early: the time taken does not tell
        # which value, or how much of one, matched.
        hit = False
        for value in values:
            hit |= hmac.compare_digest(expected.encode(), value.encode("ascii", "replace"))
        if hit:
            matched.append(secret)
    current = time.time() if now is None else now
    fresh = abs(current - ts) <= tolerance
    if not matched:
        reason = "no signature matches" if secrets else "no secret to check against"
    elif not fresh:
        reason = f"timestamp {ts} is {int(current - ts)} s from now (tolerance {tolerance} s)"
    else:
        reason = "ok"
    return Verdict(bool(matched) and fresh, bool(matched), fresh, matched, reason)


@dataclass
class Received:
    method: str
    path: str
    headers: Dict[str, str]  # names lower-cased
    body: bytes
    arrived_at: float  # time.time() when the body had been read
    status: int = 0  # the answer given (0: none yet, or the client had gone); a client past its
    # timeout may not have read it
    verdict: Optional[Verdict] = None

    @property
    def webhook_id(self) -> Optional[str]:
        return self.headers.get("x-webhook-id")

    @property
    def timestamp(self) -> Optional[str]:
        return self.headers.get("x-webhook-timestamp")

    @property
    def signature(self) -> Optional[str]:
        return self.headers.get("x-webhook-signature")

    def json(self):
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    headers: Dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0  # seconds to wait before answering


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128
    receiver: "WebhookReceiver"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.open_connections: set = set()
        self.connections_lock = threading.Lock()

    def process_request(self, request, client_address) -> None:
        with self.connections_lock:
            self.open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self.connections_lock:
            self.open_connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Ends kept-alive connections too, so a stopped receiver answers nothing more."""
        with self.connections_lock:
            connections = list(self.open_connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as webhook senders use it
    server: _Server

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        if len(body) < length:
            # The sender went away mid-request (a worker killed while sending): no request
            # arrived, as far as any real receiver could tell.
            self.close_connection = True
            return
        arrived = time.time()
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.receiver._arrived(self, Received(self.command, self.path, headers, body, arrived))

    do_POST = _handle
    do_GET = _handle
    do_PUT = _handle


class WebhookReceiver:
    """Records requests to `url` (a path of its own on a free loopback port)."""

    def __init__(
        self,
        secrets: Iterable[str] = (),
        log_path: Optional[Union[str, Path]] = None,
        port: int = 0,
        path: Optional[str] = None,
        tolerance: int = DEFAULT_TOLERANCE,
        secret_source: Optional[Callable[[], List[str]]] = None,
        keep_bodies: bool = True,
    ) -> None:
        self._secrets = list(secrets)
        self._secret_source = secret_source
        self.tolerance = tolerance
        # A path of its own, so that a request meant for an earlier receiver on a reused port
        # is told apart (and answered 404).
        self.path = path or f"/webhooks/{os.urandom(4).hex()}"
        self.keep_bodies = keep_bodies
        self._lock = threading.Condition()
        self._plan: List[Reply] = []
        self._requests: List[Received] = []
        self._log = open(log_path, "a", buffering=1) if log_path else None
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.receiver = self
        self.port = self._server.server_address[1]
        self._thread: Optional[threading.Thread] = None

    # -- lifecycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return self.base_url + self.path

    def start(self) -> "WebhookReceiver":
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread:
            self._server.shutdown()  # waits for serve_forever, so only once it runs
        self._server.server_close()
        self._server.close_connections()
        if self._thread:
            self._thread.join(timeout=5)
        with self._lock:
            self._plan.clear()
            self._lock.notify_all()
        if self._log:
            self._log.close()
            self._log = None

    def __enter__(self) -> "WebhookReceiver":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- configuration

    def add_secret(self, secret: str) -> None:
        with self._lock:
            self._secrets.append(secret)

    @property
    def secrets(self) -> List[str]:
        with self._lock:
            known = list(self._secrets)
        if self._secret_source:
            known += [s for s in self._secret_source() if s not in known]
        return known

    def respond(self, status: int, times: int = 1, headers: Optional[Dict[str, str]] = None, body: bytes = b"",
                delay: float = 0.0) -> None:
        """The next `times` requests (after those already planned) get this answer."""
        with self._lock:
            self._plan.extend(Reply(status, dict(headers or {}), body, delay) for _ in range(times))

    def hang(self, seconds: float, times: int = 1, status: int = 200) -> None:
        """The next `times` requests wait `seconds` before answering (past a sender's timeout)."""
        self.respond(status, times=times, delay=seconds)

    def redirect(self, location: str, status: int = 302, times: int = 1) -> None:
        self.respond(status, times=times, headers={"Location": location})

    def clear_plan(self) -> None:
        with self._lock:
            self._plan.clear()

    # -- what arrived

    @property
    def requests(self) -> List[Received]:
        with self._lock:
            return list(self._requests)

    def received_ids(self) -> List[str]:
        return [r.webhook_id for r in self.requests if r.webhook_id]

    def wait_for(self, predicate: Callable[[List[Received]], bool], timeout: float = 30) -> List[Received]:
        deadline = time.monotonic() + timeout
        with self._lock:
            while not predicate(list(self._requests)):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"receiver: condition not met within {timeout}s; "
                                         f"{len(self._requests)} requests arrived")
                self._lock.wait(min(remaining, 0.5))
            return list(self._requests)

    def wait_for_count(self, count: int, timeout: float = 30) -> List[Received]:
        return self.wait_for(lambda requests: len(requests) >= count, timeout)

    def wait_for_id(self, webhook_id: str, timeout: float = 30) -> Received:
        requests = self.wait_for(lambda rs: any(r.webhook_id == webhook_id for r in rs), timeout)
        return next(r for r in requests if r.webhook_id == webhook_id)

    # -- the handler's side

    def _arrived(self, handler: _Handler, request: Received) -> None:
        if request.path != self.path:
            # Not this receiver's path: recorded (a stray hit is a finding too), answered 404.
            reply = Reply(404)
        else:
            with self._lock:
                reply = self._plan.pop(0) if self._plan else Reply(200)
        request.verdict = verify(self.secrets, request.timestamp, request.body, request.signature, self.tolerance)
        with self._lock:
            self._requests.append(request)
            self._lock.notify_all()
        if reply.delay:
            time.sleep(reply.delay)
        request.status = reply.status  # set before the answer leaves, so a client that has it sees it here
        try:
            handler.send_response(reply.status)
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(reply.body)))
            handler.end_headers()
            if reply.body:
                handler.wfile.write(reply.body)
            handler.wfile.flush()
        except OSError:
            request.status = 0
            handler.close_connection = True  # the sender gave up (timeout) before the answer
        self._write_log(request)
        if not self.keep_bodies:
            request.body = b""

    def _write_log(self, request: Received) -> None:
        if not self._log:
            return
        line = json.dumps({
            "t": request.arrived_at,
            "id": request.webhook_id,
            "timestamp": request.timestamp,
            "valid": bool(request.verdict and request.verdict.signature_ok),
            "fresh": bool(request.verdict and request.verdict.fresh),
            "status": request.status,
            "path": request.path,
            "headers": request.headers,
            "body": request.body.decode("utf-8", "replace"),
        })
        with self._lock:
            if self._log:
                self._log.write(line + "\n")


class SecretFile:
    """Secrets from a file (one a line), read again whenever the file changes."""

    def __init__(self, path: Union[str, Path]) -> None:
        self.path = Path(path)
        self._stamp = None
        self._secrets: List[str] = []
        self._lock = threading.Lock()

    def __call__(self) -> List[str]:
        with self._lock:
            try:
                stat = self.path.stat()
            except FileNotFoundError:
                return list(self._secrets)
            stamp = (stat.st_mtime_ns, stat.st_size)
            if stamp != self._stamp:
                self._stamp = stamp
                self._secrets = [line.strip() for line in self.path.read_text().splitlines() if line.strip()]
            return list(self._secrets)


def main() -> None:
    parser = argparse.ArgumentParser(description="Records webhook deliveries and checks their signatures.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--path", default="/webhooks", help="the path deliveries are expected on")
    parser.add_argument("--log", help="JSON lines file, one line per request")
    parser.add_argument("--secret-file", action="append", default=[],
                        help="file with the endpoint's secret(s), one a line; read again when it changes")
    parser.add_argument("--port-file", help="write the port here once listening")
    parser.add_argument("--tolerance", type=int, default=DEFAULT_TOLERANCE)
    args = parser.parse_args()

    files = [SecretFile(path) for path in args.secret_file]

    def secrets() -> List[str]:
        found: List[str] = []
        for source in files:
            found += [s for s in source() if s not in found]
        return found

    receiver = WebhookReceiver(log_path=args.log, port=args.port, path=args.path, tolerance=args.tolerance,
                               secret_source=secrets, keep_bodies=False)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    receiver.start()
    if args.port_file:
        temporary = args.port_file + ".tmp"
        with open(temporary, "w") as out:
            out.write(f"{receiver.port}\n")
        os.replace(temporary, args.port_file)
    print(f"webhook receiver listening on {receiver.url}", flush=True)
    stopped.wait()
    receiver.stop()
    count = len(receiver.requests)
    invalid = sum(1 for r in receiver.requests if not (r.verdict and r.verdict.signature_ok))
    print(f"webhook receiver: {count} requests, {invalid} without a valid signature", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
