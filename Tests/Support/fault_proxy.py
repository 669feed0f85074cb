"""A JSON-RPC proxy that forwards to a real node and injects the faults hosted providers show.

    python Tests/Support/fault_proxy.py --upstream URL --port P --control-port C --info FILE

Ports 0 pick free ones. When ready it writes FILE (atomically) as
{"url": "http://127.0.0.1:P", "control": "http://127.0.0.1:C"}.

Control API (JSON over HTTP on the control port):
  POST /fault  {"mode": M, ...parameters, "methods": [...], "count": N}
               sets the active fault (replacing the previous one). "methods" limits it to
               requests holding a call of those JSON-RPC methods; "count" clears it by
               itself after that many affected requests.
  POST /reset  clears the fault, the statistics and the fabricated receipts.
  GET  /fault  the active fault.
  GET  /stats  (POST works too) {"requests": HTTP requests, "calls": JSON-RPC calls (batch members
               counted), "byMethod": {method: calls}}; counted in every mode.

Modes: pass, refuse, delay (seconds), http429 (retryAfter), http500,
rpc_error (code, message), truncated, stale_head (behind, default 5),
empty_logs_newest, fabricate_transfer (token, to, amount). See Scripts/chain/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Scripts" / "chain"))
from http_body import read_chunked  # noqa: E402  (shared with the devchain)

TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"

MODES = (
    "pass",
    "refuse",
    "delay",
    "http429",
    "http500",
    "rpc_error",
    "truncated",
    "stale_head",
    "empty_logs_newest",
    "fabricate_transfer",
)
# Modes that change individual calls; the rest act on whole HTTP requests.
CALL_MODES = ("rpc_error", "stale_head", "empty_logs_newest", "fabricate_transfer")
# The methods a call mode touches when the fault names no methods of its own.
MODE_METHODS = {
    "stale_head": {
        "eth_blockNumber",
        "eth_getBlockByNumber",
        "eth_getBlockByHash",
        "eth_getLogs",
        "eth_getTransactionReceipt",
        "eth_getTransactionByHash",
    },
    "empty_logs_newest": {"eth_getLogs"},
    "fabricate_transfer": {"eth_getLogs", "eth_getTransactionReceipt"},
}


def keccak256(payload: bytes) -> bytes:
    from eth_hash.auto import keccak

    return keccak(payload)


def logs_bloom(logs: List[dict]) -> str:
    bloom = 0
    for log in logs:
        items = [bytes.fromhex(log["address"][2:])] + [bytes.fromhex(t[2:]) for t in log["topics"]]
        for item in items:
            digest = keccak256(item)
            for i in (0, 2, 4):
                bloom |= 1 << (((digest[i] << 8) | digest[i + 1]) & 2047)
    return "0x" + bloom.to_bytes(256, "big").hex()


class Fault:
    def __init__(self, spec: dict) -> None:
        mode = spec.get("mode")
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; modes: {', '.join(MODES)}")
        methods = spec.get("methods")
        if methods is not None and (not isinstance(methods, list) or not all(isinstance(m, str) for m in methods)):
            raise ValueError("methods must be a list of method names")
        count = spec.get("count")
        if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
            raise ValueError("count must be a positive integer")
        if mode == "fabricate_transfer":
            for key in ("token", "to", "amount"):
                if key not in spec:
                    raise ValueError(f"fabricate_transfer needs {key}")
            int(str(spec["amount"]))
        self.mode = mode
        self.spec = dict(spec)
        self.methods = set(methods) if methods is not None else None
        self.remaining = count

    def touches(self, methods: List[str]) -> bool:
        wanted = self.methods
        if wanted is None:
            wanted = MODE_METHODS.get(self.mode)
        if wanted is None:
            return True
        return any(m in wanted for m in methods)

    def applies_to(self, method: str) -> bool:
        wanted = self.methods if self.methods is not None else MODE_METHODS.get(self.mode)
        return wanted is None or method in wanted

    def to_json(self) -> dict:
        result = dict(self.spec)
        if self.remaining is not None:
            result["count"] = self.remaining
        return result


class ProxyState:
    def __init__(self, upstream: str) -> None:
        self.lock = threading.Lock()
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream_host = parsed.hostname
        self.upstream_port = parsed.port or 80
        self.upstream_path = parsed.path or "/"
        self.fault: Optional[Fault] = None
        self.fabricated: Dict[str, dict] = {}
        self.local = threading.local()
        self.reset_stats()

    def reset_stats(self) -> None:
        self.requests = 0
        self.calls = 0
        self.by_method: Dict[str, int] = {}

    def count(self, methods: List[str]) -> None:
        with self.lock:
            self.requests += 1
            self.calls += len(methods)
            for method in methods:
                self.by_method[method] = self.by_method.get(method, 0) + 1

    def take_fault(self, methods: List[str]) -> Optional[Fault]:
        """The active fault if it affects this request; uses up one of its count."""
        with self.lock:
            fault = self.fault
            if fault is None or fault.mode == "pass" or not fault.touches(methods):
                return None
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.fault = None
            return fault

    def stats(self) -> dict:
        with self.lock:
            return {"requests": self.requests, "calls": self.calls, "byMethod": dict(self.by_method)}

    # upstream

    def post(self, body: bytes) -> Tuple[int, str, bytes]:
        for attempt in range(2):
            connection = getattr(self.local, "connection", None)
            if connection is None:
                connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=60)
                self.local.connection = connection
            try:
                connection.request(
                    "POST", self.upstream_path, body=body, headers={"Content-Type": "application/json"}
                )
                response = connection.getresponse()
                payload = response.read()
                return response.status, response.getheader("Content-Type", "application/json"), payload
            except (http.client.HTTPException, OSError):
                connection.close()
                self.local.connection = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def rpc(self, method: str, params: list) -> Any:
        """A call of the proxy's own to the upstream; returns the result or raises."""
        _, _, payload = self.post(json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode())
        answer = json.loads(payload)
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer["result"]


class Plan:
    """How one call of a request is answered: locally, or forwarded and then adjusted."""

    def __init__(
        self,
        call: dict,
        local: Optional[dict] = None,
        forward: Optional[dict] = None,
        adjust: Optional[Callable[[dict], dict]] = None,
    ) -> None:
        self.call = call
        self.local = local
        self.forward = forward
        self.adjust = adjust or (lambda response: response)


class RequestContext:
    """Upstream facts fetched at most once per client request."""

    def __init__(self, state: ProxyState) -> None:
        self.state = state
        self._head: Optional[int] = None

    def head(self) -> int:
        if self._head is None:
            self._head = int(self.state.rpc("eth_blockNumber", []), 16)
        return self._head

    def block_by_hash(self, block_hash: str) -> Optional[dict]:
        return self.state.rpc("eth_getBlockByHash", [block_hash, False])

    def block_by_number(self, number: int) -> Optional[dict]:
        return self.state.rpc("eth_getBlockByNumber", [hex(number), False])

    def resolve(self, tag: Any, default_head: int) -> int:
        if tag is None or tag in ("latest", "pending"):
            return default_head
        if tag == "earliest":
            return 0
        if tag in ("finalized", "safe"):
            block = self.state.rpc("eth_getBlockByNumber", [tag, False])
            return min(int(block["number"], 16), default_head) if block else 0
        return int(tag, 16)


def result(call: dict, value: Any) -> dict:
    return {"jsonrpc": "2.0", "id": call.get("id"), "result": value}


def error(call: dict, code: int, message: str) -> dict:
    return {"jsonrpc": "2.0", "id": call.get("id"), "error": {"code": code, "message": message}}


def block_number_of(value: Optional[dict]) -> Optional[int]:
    if isinstance(value, dict) and isinstance(value.get("blockNumber") or value.get("number"), str):
        return int(value.get("blockNumber") or value.get("number"), 16)
    return None


def drop_if_beyond(limit: int) -> Callable[[dict], dict]:
    def adjust(response: dict) -> dict:
        number = block_number_of(response.get("result"))
        if number is not None and number > limit:
            response = dict(response, result=None)
        return response

    return adjust


class Faults:
    """Per-call behaviour of the call modes."""

    def __init__(self, state: ProxyState, fault: Fault, context: RequestContext) -> None:
        self.state = state
        self.fault = fault
        self.context = context

    def plan(self, call: Any) -> Plan:
        if not isinstance(call, dict) or not isinstance(call.get("method"), str):
            return Plan(call, forward=call)
        method = call["method"]
        if not self.fault.applies_to(method):
            return Plan(call, forward=call)
        mode = self.fault.mode
        if mode == "rpc_error":
            code = int(self.fault.spec.get("code", -32000))
            message = str(self.fault.spec.get("message", "injected error"))
            return Plan(call, local=error(call, code, message))
        params = call.get("params") or []
        if mode == "stale_head":
            return self.stale_head(call, method, params)
        if mode == "empty_logs_newest" and method == "eth_getLogs":
            return self.empty_logs_newest(call, params)
        if mode == "fabricate_transfer":
            return self.fabricate(call, method, params)
        return Plan(call, forward=call)

    # stale_head

    def stale_head(self, call: dict, method: str, params: list) -> Plan:
        behind = int(self.fault.spec.get("behind", 5))
        stale = max(0, self.context.head() - behind)
        if method == "eth_blockNumber":
            return Plan(call, local=result(call, hex(stale)))
        if method == "eth_getBlockByNumber" and params:
            tag = params[0]
            if tag in ("latest", "pending"):
                return Plan(call, forward=dict(call, params=[hex(stale)] + params[1:]))
            if isinstance(tag, str) and tag.startswith("0x") and int(tag, 16) > stale:
                return Plan(call, local=result(call, None))
            return Plan(call, forward=call, adjust=drop_if_beyond(stale))
        if method in ("eth_getBlockByHash", "eth_getTransactionReceipt", "eth_getTransactionByHash"):
            return Plan(call, forward=call, adjust=drop_if_beyond(stale))
        if method == "eth_getLogs" and params and isinstance(params[0], dict):
            criteria = params[0]
            if criteria.get("blockHash"):
                block = self.context.block_by_hash(criteria["blockHash"])
                if block is not None and int(block["number"], 16) > stale:
                    return Plan(call, local=error(call, -32000, "unknown block"))
                return Plan(call, forward=call)
            begin = self.context.resolve(criteria.get("fromBlock"), stale)
            requested_end = self.context.resolve(criteria.get("toBlock"), stale)
            if begin > requested_end:
                # What a node at the stale height answers for a range starting above its head.
                return Plan(call, local=error(call, -32000, "invalid block range params"))
            end = min(requested_end, stale)
            if begin > end:
                return Plan(call, local=result(call, []))
            narrowed = dict(criteria, fromBlock=hex(begin), toBlock=hex(end))
            return Plan(call, forward=dict(call, params=[narrowed]))
        return Plan(call, forward=call)

    # empty_logs_newest

    def empty_logs_newest(self, call: dict, params: list) -> Plan:
        if not params or not isinstance(params[0], dict):
            return Plan(call, forward=call)
        criteria = params[0]
        head = self.context.head()
        if criteria.get("blockHash"):
            block = self.context.block_by_hash(criteria["blockHash"])
            if block is not None and int(block["number"], 16) == head:
                return Plan(call, local=result(call, []))
            return Plan(call, forward=call)
        begin = self.context.resolve(criteria.get("fromBlock"), head)
        end = self.context.resolve(criteria.get("toBlock"), head)
        if begin <= head <= end:
            return Plan(call, local=result(call, []))
        return Plan(call, forward=call)

    # fabricate_transfer

    def fabricate(self, call: dict, method: str, params: list) -> Plan:
        if method == "eth_getTransactionReceipt" and params:
            receipt = self.state.fabricated.get(str(params[0]).lower())
            if receipt is not None:
                return Plan(call, local=result(call, receipt))
            return Plan(call, forward=call)
        if method != "eth_getLogs" or not params or not isinstance(params[0], dict):
            return Plan(call, forward=call)
        criteria = params[0]
        head = self.context.head()
        if criteria.get("blockHash"):
            block = self.context.block_by_hash(criteria["blockHash"])
        else:
            begin = self.context.resolve(criteria.get("fromBlock"), head)
            end = min(self.context.resolve(criteria.get("toBlock"), head), head)
            block = self.context.block_by_number(end) if begin <= end else None
        if block is None:
            return Plan(call, forward=call)
        log, receipt = self.made_up_transfer(block)
        if not filter_matches(criteria, log):
            return Plan(call, forward=call)

        def adjust(response: dict) -> dict:
            if isinstance(response.get("result"), list):
                with self.state.lock:
                    self.state.fabricated[log["transactionHash"]] = receipt
                response = dict(response, result=response["result"] + [log])
            return response

        return Plan(call, forward=call, adjust=adjust)

    def made_up_transfer(self, block: dict) -> Tuple[dict, dict]:
        token = str(self.fault.spec["token"]).lower()
        recipient = str(self.fault.spec["to"]).lower()
        amount = int(str(self.fault.spec["amount"]))
        seed = f"fabricated|{token}|{recipient}|{amount}|{block['hash']}".encode()
        tx_hash = "0x" + hashlib.sha256(seed + b"|tx").hexdigest()
        sender = "0x" + hashlib.sha256(seed + b"|from").hexdigest()[:40]
        tx_index = hex(len(block.get("transactions", [])))
        log = {
            "address": token,
            "topics": [TRANSFER_TOPIC, "0x" + sender[2:].rjust(64, "0"), "0x" + recipient[2:].rjust(64, "0")],
            "data": "0x" + amount.to_bytes(32, "big").hex(),
            "blockNumber": block["number"],
            "transactionHash": tx_hash,
            "transactionIndex": tx_index,
            "blockHash": block["hash"],
            "blockTimestamp": block["timestamp"],
            "logIndex": hex(1000),
            "removed": False,
        }
        receipt = {
            "blockHash": block["hash"],
            "blockNumber": block["number"],
            "contractAddress": None,
            "cumulativeGasUsed": "0xc350",
            "effectiveGasPrice": block.get("baseFeePerGas", "0x3b9aca00"),
            "from": sender,
            "gasUsed": "0xc350",
            "logs": [log],
            "logsBloom": logs_bloom([log]),
            "status": "0x1",
            "to": token,
            "transactionHash": tx_hash,
            "transactionIndex": tx_index,
            "type": "0x2",
        }
        return log, receipt


def filter_matches(criteria: dict, log: dict) -> bool:
    addresses = criteria.get("address")
    if isinstance(addresses, str):
        addresses = [addresses]
    if addresses and log["address"] not in [a.lower() for a in addresses]:
        return False
    topics = criteria.get("topics") or []
    if len(topics) > len(log["topics"]):
        return False
    for wanted, actual in zip(topics, log["topics"]):
        if wanted is None or wanted == []:
            continue
        options = wanted if isinstance(wanted, list) else [wanted]
        if None in options:
            continue
        if actual not in [str(o).lower() for o in options]:
            return False
    return True


def parse_methods(body: bytes) -> Tuple[Optional[Any], List[str]]:
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, []
    calls = message if isinstance(message, list) else [message]
    methods = [c["method"] for c in calls if isinstance(c, dict) and isinstance(c.get("method"), str)]
    return message, methods


class Listener:
    """The client-facing server on a fixed port, which `refuse` takes down and `reset` brings back."""

    def __init__(self, state: ProxyState, port: int) -> None:
        self.state = state
        self.port = port
        self.server: Optional[ThreadingHTTPServer] = None
        self.connections: set = set()
        self.connections_lock = threading.Lock()
        self.switch_lock = threading.Lock()

    def start(self) -> None:
        with self.switch_lock:
            if self.server is not None:
                return
            handler = type("BoundProxyHandler", (ProxyHandler,), {"state": self.state, "listener": self})
            server = QuietServer(("127.0.0.1", self.port), handler)
            self.port = server.server_address[1]
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
            self.server = server

    def stop(self) -> None:
        """Stop accepting connections (they are refused) and drop the open ones."""
        with self.switch_lock:
            if self.server is None:
                return
            self.server.shutdown()
            self.server.server_close()
            self.server = None
            with self.connections_lock:
                open_sockets = list(self.connections)
            for sock in open_sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address) -> None:  # dropped connections are expected here
        pass


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # see the devchain's handler: avoids 40 ms per request
    server_version = "fault-proxy"
    sys_version = ""
    state: ProxyState = None
    listener: Listener = None
    timeout = 300

    def setup(self) -> None:
        super().setup()
        with self.listener.connections_lock:
            self.listener.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.listener.connections_lock:
                self.listener.connections.discard(self.connection)

    def log_message(self, format: str, *args) -> None:
        pass

    def read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return read_chunked(self.rfile)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_POST(self) -> None:
        body = self.read_body()
        message, methods = parse_methods(body)
        self.state.count(methods)
        fault = self.state.take_fault(methods)
        mode = fault.mode if fault else "pass"
        try:
            if mode == "http429":
                retry_after = str(fault.spec.get("retryAfter", 1))
                self.reply(429, b"Too Many Requests\n", "text/plain", {"Retry-After": retry_after})
                return
            if mode == "http500":
                self.reply(500, b"Internal Server Error\n", "text/plain")
                return
            if mode == "delay":
                time.sleep(float(fault.spec.get("seconds", 1)))
            if mode in CALL_MODES and message is not None:
                answer = self.answer_with_faults(message, fault)
                self.reply(200, json.dumps(answer, separators=(",", ":")).encode() + b"\n", "application/json")
                return
            status, content_type, payload = self.state.post(body)
        except (OSError, http.client.HTTPException, RuntimeError, ValueError) as failure:
            self.reply(502, f"upstream failed: {failure}\n".encode(), "text/plain")
            return
        if mode == "truncated":
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.reply(status, payload, content_type)

    def answer_with_faults(self, message: Any, fault: Fault) -> Any:
        calls = message if isinstance(message, list) else [message]
        faults = Faults(self.state, fault, RequestContext(self.state))
        plans = [faults.plan(call) for call in calls]
        forwarded = [plan for plan in plans if plan.local is None]
        answers: Dict[int, dict] = {}
        if forwarded:
            batch = [dict(plan.forward, id=index) for index, plan in enumerate(forwarded)]
            _, _, payload = self.state.post(json.dumps(batch).encode())
            upstream = json.loads(payload)
            if not isinstance(upstream, list):
                return upstream
            by_id = {item.get("id"): item for item in upstream if isinstance(item, dict)}
            for index, plan in enumerate(forwarded):
                response = by_id.get(index) or error(plan.call, -32603, "missing upstream answer")
                response = dict(response, id=plan.call.get("id"))
                answers[id(plan)] = plan.adjust(response)
        ordered = [plan.local if plan.local is not None else answers[id(plan)] for plan in plans]
        return ordered if isinstance(message, list) else ordered[0]

    def reply(self, status: int, body: bytes, content_type: str, extra: Optional[dict] = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)


class ControlHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    state: ProxyState = None
    listener: Listener = None

    def log_message(self, format: str, *args) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/stats":
            self.reply(200, self.state.stats())
        elif self.path == "/fault":
            with self.state.lock:
                fault = self.state.fault
            self.reply(200, fault.to_json() if fault else {"mode": "pass"})
        else:
            self.reply(404, {"error": "not found"})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/stats":
            self.reply(200, self.state.stats())
            return
        if self.path == "/reset":
            with self.state.lock:
                self.state.fault = None
                self.state.fabricated.clear()
                self.state.reset_stats()
            self.listener.start()
            self.reply(200, {"ok": True})
            return
        if self.path != "/fault":
            self.reply(404, {"error": "not found"})
            return
        try:
            spec = json.loads(body or b"{}")
            if not isinstance(spec, dict):
                raise ValueError("body must be a JSON object")
            fault = Fault(spec)
        except ValueError as problem:
            self.reply(400, {"error": str(problem)})
            return
        with self.state.lock:
            self.state.fault = None if fault.mode == "pass" else fault
        if fault.mode == "refuse":
            self.listener.stop()
        else:
            self.listener.start()
        self.reply(200, {"ok": True, "fault": fault.to_json()})

    def reply(self, status: int, value: Any) -> None:
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description="Fault-injecting JSON-RPC proxy for tests.")
    parser.add_argument("--upstream", required=True, help="URL of the JSON-RPC node to forward to")
    parser.add_argument("--port", type=int, default=0, help="client port on 127.0.0.1 (0 picks one)")
    parser.add_argument("--control-port", type=int, default=0, help="control port on 127.0.0.1 (0 picks one)")
    parser.add_argument("--info", type=Path, required=True, help="file to write the URLs to when ready")
    args = parser.parse_args(argv)
    if args.info.exists():
        args.info.unlink()

    state = ProxyState(args.upstream)
    listener = Listener(state, args.port)
    listener.start()
    control_handler = type("BoundControlHandler", (ControlHandler,), {"state": state, "listener": listener})
    control = QuietServer(("127.0.0.1", args.control_port), control_handler)
    threading.Thread(target=control.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    stop = threading.Event()
    # A parent may start us with these signals blocked (threads of some runtimes block
    # them and children inherit the mask); unblock them so that SIGTERM always stops us.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    info = {"url": f"http://127.0.0.1:{listener.port}", "control": f"http://127.0.0.1:{control.server_address[1]}"}
    temporary = args.info.with_name(f".{args.info.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(info) + "\n")
    os.replace(temporary, args.info)

    while not stop.wait(0.5):
        pass
    listener.stop()
    control.shutdown()
    control.server_close()
    try:
        args.info.unlink()
    except FileNotFoundError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
