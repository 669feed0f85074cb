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
empty_logs_newest, fabricate_transfer (token, to, amount), forge_log (token, to, amount,
from, in_bloom, receipts), partial_logs (keep, drop_to), inflated_finalized (ahead, null),
head (value), junk (seed, kinds). See Scripts/chain/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
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
# The root of an empty trie: transactionsRoot and receiptsRoot of a block without transactions.
EMPTY_TRIE_ROOT = "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"
EMPTY_BLOOM = "0x" + "00" * 256
# forge_log looks this many blocks back from the end of a range for one with a transaction.
FORGE_SCAN_BLOCKS = 128

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
    "forge_log",
    "partial_logs",
    "inflated_finalized",
    "head",
    "junk",
)
# Modes that change individual calls; the rest act on whole HTTP requests.
CALL_MODES = (
    "rpc_error",
    "stale_head",
    "empty_logs_newest",
    "fabricate_transfer",
    "forge_log",
    "partial_logs",
    "inflated_finalized",
    "head",
)
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
    "forge_log": {"eth_getLogs", "eth_getTransactionReceipt", "eth_getBlockReceipts"},
    "partial_logs": {"eth_getLogs"},
    "inflated_finalized": {"eth_getBlockByNumber"},
    "head": {"eth_blockNumber"},
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
        check_parameters(mode, spec)
        self.mode = mode
        self.spec = dict(spec)
        self.methods = set(methods) if methods is not None else None
        self.remaining = count
        self.junk = JunkGenerator(spec.get("seed", 0), spec.get("kinds")) if mode == "junk" else None

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


# junk: what may replace one call's answer, and what may replace the whole response body.
JUNK_CALL_KINDS = ("wrong_type", "huge_number", "bad_hex", "bad_field", "wrong_id", "bad_envelope")
JUNK_BODY_KINDS = ("truncated_json", "not_json", "empty_body", "wrong_container", "deep_nesting", "non_standard_json")
JUNK_KINDS = JUNK_CALL_KINDS + JUNK_BODY_KINDS
JUNK_NESTING_DEPTH = 100_000
JUNK_LONG_STRING = 64 * 1024


class JunkGenerator:
    """Hostile answers drawn from one seeded generator: the same seed and the same
    sequence of requests give the same answers."""

    def __init__(self, seed: int, kinds: Optional[List[str]]) -> None:
        self.random = random.Random(seed)
        self.kinds = list(kinds) if kinds else list(JUNK_KINDS)
        self.lock = threading.Lock()

    def answer(self, message: Any, payload: bytes, affects: Callable[[Any], bool]) -> Tuple[bytes, str, List[str]]:
        """(body, content type, kinds used) replacing the upstream's response `payload`.

        Call by call, only the answers `affects` admits are mangled (the rest pass as they came).
        """
        with self.lock:
            try:
                upstream = json.loads(payload)
            except (ValueError, UnicodeDecodeError):
                upstream = None
            kind = self.random.choice(self.kinds)
            call_kinds = [k for k in self.kinds if k in JUNK_CALL_KINDS]
            if kind in JUNK_CALL_KINDS and isinstance(upstream, (dict, list)) and upstream:
                answers = upstream if isinstance(upstream, list) else [upstream]
                used = [self.random.choice(call_kinds) if affects(a) else "pass" for a in answers]
                mangled = [a if k == "pass" else self.mangle(a, k, answers) for a, k in zip(answers, used)]
                body = mangled if isinstance(upstream, list) else mangled[0]
                return json.dumps(body, separators=(",", ":")).encode() + b"\n", "application/json", used
            if kind in JUNK_CALL_KINDS:
                kind = "truncated_json"  # nothing to mangle call by call: the upstream answer was not JSON
            return self.body(kind, message, upstream, payload) + ([kind],)

    def mangle(self, answer: Any, kind: str, answers: List[Any]) -> Any:
        if not isinstance(answer, dict):
            return self.hostile_value()
        answer = dict(answer)
        if kind == "wrong_id":
            choices: List[Any] = [None, "x", -1, 2**64, 1.5, [answer.get("id")], {"id": answer.get("id")}]
            if isinstance(answer.get("id"), int) and not isinstance(answer.get("id"), bool):
                choices += [answer["id"] + 1, str(answer["id"])]
            others = [a.get("id") for a in answers if isinstance(a, dict) and a.get("id") != answer.get("id")]
            choices += others
            if self.random.random() < 0.2:
                answer.pop("id", None)
            else:
                answer["id"] = self.random.choice(choices)
            return answer
        if kind == "bad_envelope":
            variant = self.random.randrange(7)
            if variant == 0:
                answer.pop("jsonrpc", None)
            elif variant == 1:
                answer["jsonrpc"] = self.random.choice(["1.0", "3.0", 2, None])
            elif variant == 2:
                answer["result"] = answer.get("result", "0x1")
                answer["error"] = {"code": -32000, "message": "both result and error"}
            elif variant == 3:
                answer.pop("result", None)
                answer.pop("error", None)
            elif variant == 4:
                answer.pop("result", None)
                answer["error"] = {"code": self.random.choice(["-32000", 1.5, None, 2**70]), "message": 42}
            elif variant == 5:
                answer.pop("result", None)
                answer["error"] = self.random.choice(["boom", None, [], -32000])
            else:
                answer.pop("result", None)
                answer["error"] = {"message": "no code"}
            return answer
        if "result" not in answer:
            answer.pop("error", None)
        current = answer.get("result")
        if kind == "bad_field" and isinstance(current, dict) and current:
            key = self.random.choice(sorted(current))
            answer["result"] = dict(current, **{key: self.hostile_value()})
        elif kind == "bad_field" and isinstance(current, list) and current:
            index = self.random.randrange(len(current))
            answer["result"] = current[:index] + [self.hostile_value()] + current[index + 1 :]
        elif kind == "huge_number":
            answer["result"] = self.random.choice(HUGE_NUMBERS)
        elif kind == "bad_hex":
            answer["result"] = self.random.choice(BAD_HEX)
        else:
            answer["result"] = self.wrong_type(current)
        return answer

    def wrong_type(self, current: Any) -> Any:
        for _ in range(8):
            value = self.hostile_value()
            if type(value) is not type(current):
                return value
        return None if current is not None else {}

    def hostile_value(self) -> Any:
        pool = self.random.choice((HUGE_NUMBERS, BAD_HEX, ODD_VALUES))
        value = self.random.choice(pool)
        return "x" * JUNK_LONG_STRING if value == "<long>" else value

    def body(self, kind: str, message: Any, upstream: Any, payload: bytes) -> Tuple[bytes, str]:
        first_id = None
        if isinstance(message, dict):
            first_id = message.get("id")
        elif isinstance(message, list) and message and isinstance(message[0], dict):
            first_id = message[0].get("id")
        if kind == "truncated_json":
            text = payload if len(payload) > 1 else b'{"jsonrpc":"2.0","id":1,"result":"0x1"}'
            return text[: self.random.randrange(1, len(text))], "application/json"
        if kind == "not_json":
            return self.random.choice(NOT_JSON), self.random.choice(["text/html", "application/json", "text/plain"])
        if kind == "empty_body":
            return b"", "application/json"
        if kind == "wrong_container":
            if isinstance(upstream, list) and upstream:
                # An object for a batch, an answer too many, or one too few.
                wrong: Any = self.random.choice([upstream[0], upstream + upstream[-1:], upstream[:-1]])
            elif upstream is not None:
                wrong = [upstream]
            else:
                wrong = []
            return json.dumps(wrong, separators=(",", ":")).encode() + b"\n", "application/json"
        if kind == "deep_nesting":
            depth = JUNK_NESTING_DEPTH
            opening = f'{{"jsonrpc":"2.0","id":{json.dumps(first_id)},"result":'.encode()
            return opening + b"[" * depth + b"]" * depth + b"}\n", "application/json"
        literal = self.random.choice([b"NaN", b"Infinity", b"-Infinity", b"0x10", b"01", b"1e999999", b"'0x1'"])
        return (
            f'{{"jsonrpc":"2.0","id":{json.dumps(first_id)},"result":'.encode() + literal + b"}\n",
            "application/json",
        )


HUGE_NUMBERS = (
    2**63,
    2**64,
    2**256,
    -(2**255),
    10**400,
    1e308,
    -1,
    1.5,
    "0xffffffffffffffff",
    "0x10000000000000000",
    "0x" + "f" * 64,
    "0x1" + "0" * 64,
    "0x1" + "0" * 4096,
)
BAD_HEX = ("", "0x", "0x0x1", "0xzz", "0X1F", "1f", "-0x1", "0x-1", "0x 1", "0x00001", "0x" + "0" * 63, "0x1\u0000")
ODD_VALUES = (None, True, False, 0, [], {}, [None], {"": None}, "null", "\ud800", "\u202e0x1", "<long>")
NOT_JSON = (
    b"<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>\n",
    b"upstream connect error or disconnect/reset before headers\n",
    b"\x00\xff\xfe binary garbage",
    b"{\"jsonrpc\":\"2.0\",",
)


def is_address(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 42 and value[:2] == "0x" and all(
        c in "0123456789abcdefABCDEF" for c in value[2:]
    )


def is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_parameters(mode: str, spec: dict) -> None:
    """Refuses a fault whose parameters would make the proxy fail instead of the provider."""
    if mode == "http429" and "retryAfter" in spec:
        retry_after = spec["retryAfter"]
        if retry_after is not None:
            if not isinstance(retry_after, (str, int, float)):
                raise ValueError("retryAfter must be a string, a number or null")
            text = str(retry_after)
            if "\r" in text or "\n" in text:
                raise ValueError("retryAfter must not contain line breaks")
            try:
                text.encode("latin-1")
            except UnicodeEncodeError:
                raise ValueError("retryAfter must be Latin-1 text")
    if mode == "forge_log":
        if "amount" not in spec:
            raise ValueError("forge_log needs amount")
        amount = spec["amount"]
        if isinstance(amount, bool) or not isinstance(amount, (int, str)) or not str(amount).isdigit():
            raise ValueError("amount must be a non-negative integer (a JSON number or a decimal string)")
        if int(str(amount)) >= 2**256:
            raise ValueError("amount must be below 2^256")
        for key in ("in_bloom", "receipts"):
            if not isinstance(spec.get(key, False), bool):
                raise ValueError(f"{key} must be true or false")
        needed = () if spec.get("in_bloom") else ("token", "to")
        for key in ("token", "to", "from"):
            if key in needed and key not in spec:
                raise ValueError(f"forge_log needs {key} (unless in_bloom)")
            if key in spec and not is_address(spec[key]):
                raise ValueError(f"{key} must be a 0x address of 20 bytes")
    if mode == "partial_logs":
        keep, drop_to = spec.get("keep"), spec.get("drop_to")
        if keep is None and drop_to is None:
            raise ValueError("partial_logs needs keep or drop_to")
        if keep is not None and (not is_count(keep) or keep < 1):
            raise ValueError("keep must be a positive integer")
        if drop_to is not None and not is_address(drop_to):
            raise ValueError("drop_to must be a 0x address of 20 bytes")
    if mode == "inflated_finalized":
        if not is_count(spec.get("ahead", 10)) or spec.get("ahead", 10) < 0:
            raise ValueError("ahead must be a non-negative integer")
        if not isinstance(spec.get("null", False), bool):
            raise ValueError("null must be true or false")
    if mode == "head" and "value" not in spec:
        raise ValueError("head needs value")
    if mode == "junk":
        if not is_count(spec.get("seed", 0)):
            raise ValueError("seed must be an integer")
        kinds = spec.get("kinds")
        if kinds is not None:
            if not isinstance(kinds, list) or not kinds or any(k not in JUNK_KINDS for k in kinds):
                raise ValueError(f"kinds must be a non-empty list of: {', '.join(JUNK_KINDS)}")


class ProxyState:
    def __init__(self, upstream: str) -> None:
        self.lock = threading.Lock()
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream_host = parsed.hostname
        self.upstream_port = parsed.port or 80
        self.upstream_path = parsed.path or "/"
        self.fault: Optional[Fault] = None
        self.fabricated: Dict[str, dict] = {}
        # forge_log with receipts: forged logs by (transaction hash, block hash), for patching receipts.
        self.forged: Dict[Tuple[str, str], List[dict]] = {}
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

    def rpc_batch(self, calls: List[Tuple[str, list]]) -> List[Any]:
        """Several calls of the proxy's own in one batch; results in order (None for errors)."""
        if not calls:
            return []
        batch = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
        _, _, payload = self.post(json.dumps(batch).encode())
        by_id = {item.get("id"): item for item in json.loads(payload) if isinstance(item, dict)}
        return [by_id.get(i, {}).get("result") for i in range(len(calls))]


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
        if mode == "forge_log":
            return self.forge(call, method, params)
        if mode == "partial_logs" and method == "eth_getLogs":
            return Plan(call, forward=call, adjust=self.drop_logs)
        if mode == "inflated_finalized" and method == "eth_getBlockByNumber":
            return self.inflated_finalized(call, params)
        if mode == "head" and method == "eth_blockNumber":
            return Plan(call, local=result(call, self.fault.spec["value"]))
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


    # forge_log

    def forge(self, call: dict, method: str, params: list) -> Plan:
        if method in ("eth_getTransactionReceipt", "eth_getBlockReceipts"):
            if self.fault.spec.get("receipts"):
                return Plan(call, forward=call, adjust=self.patch_receipts)
            return Plan(call, forward=call)
        if method != "eth_getLogs" or not params or not isinstance(params[0], dict):
            return Plan(call, forward=call)
        criteria = params[0]

        def adjust(response: dict) -> dict:
            logs = response.get("result")
            if not isinstance(logs, list):
                return response
            if self.fault.spec.get("in_bloom"):
                forged = self.forged_copy(logs)
            else:
                forged = self.forged_transfer(criteria)
            if forged is None:
                return response
            if self.fault.spec.get("receipts"):
                with self.state.lock:
                    kept = self.state.forged.setdefault((forged["transactionHash"], forged["blockHash"]), [])
                    if forged not in kept:
                        kept.append(forged)
            merged = sorted(logs + [forged], key=lambda log: (int(log["blockNumber"], 16), int(log["logIndex"], 16)))
            return dict(response, result=merged)

        return Plan(call, forward=call, adjust=adjust)

    def forged_copy(self, logs: List[dict]) -> Optional[dict]:
        """in_bloom: the newest real Transfer of the answer (of `token`, `from`, `to` when
        given) with only its amount changed and a log index after the block's last."""
        spec = self.fault.spec
        candidates = [
            log
            for log in logs
            if isinstance(log, dict)
            and len(log.get("topics") or []) == 3
            and log["topics"][0] == TRANSFER_TOPIC
            and ("token" not in spec or log["address"] == spec["token"].lower())
            and ("from" not in spec or log["topics"][1] == address_topic(spec["from"]))
            and ("to" not in spec or log["topics"][2] == address_topic(spec["to"]))
        ]
        if not candidates:
            return None
        source = candidates[-1]
        forged = dict(source, data=amount_word(spec["amount"]))
        forged["logIndex"] = hex(self.last_log_index(source["blockHash"]) + 1)
        return forged

    def forged_transfer(self, criteria: dict) -> Optional[dict]:
        """A Transfer the filter admits, in the newest block of the query that has a
        transaction, reusing that block's last transaction hash and index."""
        spec = self.fault.spec
        token = spec["token"].lower()
        recipient = spec["to"].lower()
        amount = int(str(spec["amount"]))
        sender = spec.get("from")
        if sender is None:
            seed = f"forged|{token}|{recipient}|{amount}".encode()
            sender = "0x" + hashlib.sha256(seed).hexdigest()[:40]
        probe = {"address": token, "topics": [TRANSFER_TOPIC, address_topic(sender), address_topic(recipient)]}
        if not filter_matches(criteria, probe):
            return None
        block = self.block_with_transactions(criteria)
        if block is None:
            return None
        transactions = block["transactions"]
        return dict(
            probe,
            data=amount_word(amount),
            blockNumber=block["number"],
            transactionHash=transactions[-1] if isinstance(transactions[-1], str) else transactions[-1]["hash"],
            transactionIndex=hex(len(transactions) - 1),
            blockHash=block["hash"],
            blockTimestamp=block["timestamp"],
            logIndex=hex(self.last_log_index(block["hash"]) + 1),
            removed=False,
        )

    def block_with_transactions(self, criteria: dict) -> Optional[dict]:
        if criteria.get("blockHash"):
            block = self.context.block_by_hash(criteria["blockHash"])
            return block if block is not None and block.get("transactions") else None
        head = self.context.head()
        begin = self.context.resolve(criteria.get("fromBlock"), head)
        end = min(self.context.resolve(criteria.get("toBlock"), head), head)
        first = max(begin, end - FORGE_SCAN_BLOCKS + 1)
        numbers = list(range(end, first - 1, -1))
        blocks = self.state.rpc_batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        return next((b for b in blocks if isinstance(b, dict) and b.get("transactions")), None)

    def last_log_index(self, block_hash: str) -> int:
        """The block's last log index (-1 without logs), from the upstream's receipts."""
        receipts = self.state.rpc("eth_getBlockReceipts", [block_hash]) or []
        indexes = [int(log["logIndex"], 16) for receipt in receipts for log in receipt.get("logs") or []]
        return max(indexes, default=-1)

    def patch_receipts(self, response: dict) -> dict:
        """Receipts of forged transactions gain their forged logs, and the logs' bloom bits."""
        value = response.get("result")
        with self.state.lock:
            forged = {key: list(logs) for key, logs in self.state.forged.items()}

        def patch(receipt: Any) -> Any:
            if not isinstance(receipt, dict):
                return receipt
            extra = forged.get((receipt.get("transactionHash"), receipt.get("blockHash")))
            if not extra:
                return receipt
            logs = list(receipt.get("logs") or [])
            extra = [log for log in extra if log not in logs]
            bloom = int(receipt.get("logsBloom") or EMPTY_BLOOM, 16) | int(logs_bloom(extra), 16)
            return dict(receipt, logs=logs + extra, logsBloom="0x" + bloom.to_bytes(256, "big").hex())

        if isinstance(value, list):
            return dict(response, result=[patch(receipt) for receipt in value])
        return dict(response, result=patch(value))

    # partial_logs

    def drop_logs(self, response: dict) -> dict:
        logs = response.get("result")
        if not isinstance(logs, list):
            return response
        drop_to = self.fault.spec.get("drop_to")
        if drop_to is not None:
            unwanted = address_topic(drop_to)
            logs = [
                log
                for log in logs
                if not (
                    isinstance(log, dict)
                    and len(log.get("topics") or []) >= 3
                    and log["topics"][0] == TRANSFER_TOPIC
                    and log["topics"][2] == unwanted
                )
            ]
        keep = self.fault.spec.get("keep")
        if keep is not None:
            logs = [log for position, log in enumerate(logs, start=1) if position % keep == 0]
        return dict(response, result=logs)

    # inflated_finalized

    def inflated_finalized(self, call: dict, params: list) -> Plan:
        if not params or params[0] not in ("finalized", "safe"):
            return Plan(call, forward=call)
        if self.fault.spec.get("null"):
            return Plan(call, local=result(call, None))
        ahead = int(self.fault.spec.get("ahead", 10))

        def adjust(response: dict) -> dict:
            head = response.get("result")
            if not isinstance(head, dict):
                return response
            return dict(response, result=made_up_block(head, ahead))

        return Plan(call, forward=dict(call, params=["latest"] + list(params[1:])), adjust=adjust)


def address_topic(address: str) -> str:
    return "0x" + address[2:].lower().rjust(64, "0")


def amount_word(amount: Any) -> str:
    return "0x" + int(str(amount)).to_bytes(32, "big").hex()


def made_up_block(head: dict, ahead: int) -> dict:
    """A block `ahead` numbers above `head`, shaped like it, empty, with made-up hashes."""
    number = int(head["number"], 16) + ahead
    seed = f"inflated|{head['hash']}|{number}".encode()
    block = dict(head)
    block.update(
        {
            "number": hex(number),
            "hash": "0x" + hashlib.sha256(seed + b"|hash").hexdigest(),
            "parentHash": "0x" + hashlib.sha256(seed + b"|parent").hexdigest(),
            "timestamp": hex(int(head["timestamp"], 16) + ahead),
            "gasUsed": "0x0",
            "logsBloom": EMPTY_BLOOM,
            "transactions": [],
            "transactionsRoot": EMPTY_TRIE_ROOT,
            "receiptsRoot": EMPTY_TRIE_ROOT,
        }
    )
    return block


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
                # Sent verbatim ("inf", "-1", an HTTP date, ...); null sends no Retry-After at all.
                retry_after = fault.spec.get("retryAfter", 1)
                extra = {} if retry_after is None else {"Retry-After": str(retry_after)}
                self.reply(429, b"Too Many Requests\n", "text/plain", extra)
                return
            if mode == "http500":
                self.reply(500, b"Internal Server Error\n", "text/plain")
                return
            if mode == "delay":
                time.sleep(float(fault.spec.get("seconds", 1)))
            if mode == "junk":
                _, _, payload = self.state.post(body)
                calls = message if isinstance(message, list) else [message]
                affected = {
                    json.dumps(c.get("id"))
                    for c in calls
                    if isinstance(c, dict) and isinstance(c.get("method"), str) and fault.applies_to(c["method"])
                }

                def affects(answer: Any) -> bool:
                    return not isinstance(answer, dict) or json.dumps(answer.get("id")) in affected

                junk, content_type, kinds = fault.junk.answer(message, payload, affects)
                self.reply(200, junk, content_type, {"X-Fault-Junk": ",".join(kinds)})
                return
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
                self.state.forged.clear()
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
