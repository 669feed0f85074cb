"""Mixed traffic against `gateway serve` while payments flow on the devchain.

Starts what Tests/Support/gateway_server.py starts (the devchain with 1-second blocks and, unless
`--automine`, no block per transaction in between, as a real chain produces them; a
database of its own on the private PostgreSQL, a merchant, `gateway serve` from GATEWAY_BIN)
and a webhook receiver, then sends RATE requests a second for DURATION seconds, open loop (a
request is sent when it is due, whether or not earlier ones have answered), mixed as
`MIX` says: session creations, reads, lists, merchant reads, checkout pages, event streams
(opened, read to the first event, closed) and checkout claims. Meanwhile a customer pays a
new session every PAY_EVERY seconds; for each payment the time from the wall time the
devchain mined the block that completed its depth to the receiver's 2xx of its
`payment.completed` webhook is recorded.

Prints, and writes to .state/bench/load.json (the table's format, Benchmarks/README.md):
errors (5xx, unexpected statuses, timeouts, refused connections; goal 0), p50 and p99 per
route, the gateway's RSS after warm-up and at the end (goal: flat, at most 1.25x), and the
block-to-webhook percentiles under that load.

    GATEWAY_BIN=… DATABASE_URL=… .venv/bin/python Benchmarks/load/run.py [--rate 1000] [--duration 300]

`Benchmarks/load_bench.sh` builds the release gateway, starts the private PostgreSQL and runs
this with the defaults. With `--rate 0` there is no load: 200 payments at two a second
(`--duration 100 --pay-every 0.5`) give the block-to-webhook latency alone, written to
.state/bench/block-to-webhook.json (`Benchmarks/block_to_webhook_bench.sh`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Optional

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "Support"))
sys.path.insert(0, str(ROOT / "Tests" / "Devchain"))

from gateway_server import GatewayServer, psql  # noqa: E402
from webhook_receiver import WebhookReceiver  # noqa: E402

# Share of each kind of request, out of 100.
MIX = {"create": 10, "read": 25, "list": 10, "merchant": 10, "checkout": 30, "events": 5, "claim": 10}
EXPECTED = {"create": 201, "read": 200, "list": 200, "merchant": 200, "checkout": 200, "events": 200, "claim": 202}
CONFIRMATIONS = 3  # Networks/devnet.json: the payment's block and two more


def percentile(values: List[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Load:
    def __init__(self, url: str, key: str, sessions: List[dict], mix: Optional[Dict[str, int]] = None) -> None:
        self.mix = mix or MIX
        self.url = url
        self.auth = {"Authorization": f"Bearer {key}"}
        self.sessions = sessions
        self.latencies: Dict[str, List[float]] = defaultdict(list)
        self.errors: Dict[str, Dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.sent: Dict[str, int] = defaultdict(int)
        self.late = 0

    async def one(self, http: aiohttp.ClientSession, kind: str) -> None:
        session = random.choice(self.sessions)
        started = time.monotonic()
        try:
            status = await self.request(http, kind, session)
        except asyncio.TimeoutError:
            status = "timeout"
        except aiohttp.ClientError as error:
            status = type(error).__name__
        self.sent[kind] += 1
        if status == EXPECTED[kind]:
            self.latencies[kind].append(time.monotonic() - started)
        else:
            self.errors[kind][str(status)] += 1

    async def request(self, http: aiohttp.ClientSession, kind: str, session: dict) -> int:
        sid = session["id"]
        if kind == "create":
            body = {"amount": f"{random.randint(1, 500)}.{random.randint(0, 99):02d}", "currency": "USDC",
                    "metadata": {"order": secrets.token_hex(6)}}
            async with http.post(f"{self.url}/v1/payment_sessions", json=body, headers=self.auth) as answer:
                await answer.read()
                return answer.status
        if kind == "read":
            async with http.get(f"{self.url}/v1/payment_sessions/{sid}", headers=self.auth) as answer:
                await answer.read()
                return answer.status
        if kind == "list":
            async with http.get(f"{self.url}/v1/payment_sessions?limit=20", headers=self.auth) as answer:
                await answer.read()
                return answer.status
        if kind == "merchant":
            async with http.get(f"{self.url}/v1/merchant", headers=self.auth) as answer:
                await answer.read()
                return answer.status
        if kind == "checkout":
            async with http.get(f"{self.url}/checkout/{sid}") as answer:
                await answer.read()
                return answer.status
        if kind == "events":
            async with http.get(f"{self.url}/checkout/{sid}/events") as answer:
                if answer.status == 200:
                    # The first event carries the session as it is; then the stream is closed.
                    async for line in answer.content:
                        if line.startswith(b"data:"):
                            break
                return answer.status
        if kind == "claim":
            body = {"client_secret": session["client_secret"], "network": "devnet", "tx_hash": "0x" + secrets.token_hex(32)}
            async with http.post(f"{self.url}/checkout/{sid}/transactions", json=body) as answer:
                await answer.read()
                return answer.status
        raise ValueError(kind)

    async def run(self, rate: int, duration: float) -> None:
        kinds = [kind for kind, weight in self.mix.items() for _ in range(weight)]
        connector = aiohttp.TCPConnector(limit=256)
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            tasks = set()
            started = time.monotonic()
            due = 0
            while True:
                elapsed = time.monotonic() - started
                if elapsed >= duration:
                    break
                target = int(elapsed * rate)
                if target - due > rate:  # more than a second behind: the driver cannot keep up
                    self.late += target - due - rate
                    due = target - rate
                while due < target:
                    task = asyncio.ensure_future(self.one(http, random.choice(kinds)))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                    due += 1
                await asyncio.sleep(0.005)
            if tasks:
                await asyncio.wait(tasks, timeout=15)


class Payer(threading.Thread):
    """A customer paying a fresh session every `every` seconds until stopped."""

    def __init__(self, gateway: GatewayServer, every: float) -> None:
        super().__init__(daemon=True)
        self.gateway = gateway
        self.every = every
        self.stop_event = threading.Event()
        self.paid: List[dict] = []  # session id, tx hash
        self.failures: List[str] = []

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                session = self.gateway.create_session(amount=f"{random.randint(1, 90)}.{random.randint(0, 99):02d}")
                option = session["payment_options"][0]
                tx = self.gateway.pay(option, int(option["amount_due_base_units"]))
                self.paid.append({"session": session["id"], "tx": tx})
            except Exception as error:  # noqa: BLE001 - counted and reported
                self.failures.append(repr(error)[:200])
            self.stop_event.wait(self.every)


def block_to_webhook(gateway: GatewayServer, receiver: WebhookReceiver, paid: List[dict]) -> Dict[str, List[float]]:
    """Seconds from the block that completed each payment's depth (and from the payment's own
    block) to the 2xx of its `payment.completed` (and `payment.confirming`) webhook."""
    arrivals: Dict[tuple, float] = {}
    for received in receiver.requests:
        if received.status // 100 != 2:
            continue
        event = json.loads(received.body)
        key = (event["type"], event["data"]["object"]["id"])
        arrivals.setdefault(key, received.arrived_at)
    rpc = gateway.chain.rpc
    out: Dict[str, List[float]] = {"confirming": [], "completed": [], "missing": []}
    # Where the time to payment.completed goes, from the rows' own times: the monitor records
    # the confirmation, the matcher writes the event, the dispatcher fans it out, the worker
    # sends it, and the receiver answers.
    recorded = hop_times(gateway, [payment["session"] for payment in paid])
    hops: Dict[str, List[float]] = {name: [] for name in HOPS}
    for payment in paid:
        receipt = rpc("eth_getTransactionReceipt", payment["tx"])
        if not receipt:
            out["missing"].append(payment["session"])
            continue
        mined = int(receipt["blockNumber"], 16)
        deep = mined + CONFIRMATIONS - 1
        times = rpc("devchain_blockWallTimes", hex(mined), hex(deep))
        for kind, number in (("confirming", mined), ("completed", deep)):
            arrived = arrivals.get((f"payment.{kind}", payment["session"]))
            wall = times.get(hex(number)) if times else None
            if arrived is None or wall is None:
                out["missing"].append(f"{payment['session']} {kind}")
                continue
            out[kind].append(arrived - float(wall))
            rows = recorded.get(payment["session"])
            if kind == "completed" and rows and None not in rows:
                points = [float(wall), *rows, arrived]
                for name, start, end in zip(HOPS, points, points[1:]):
                    hops[name].append(end - start)
    out.update({f"hop {name}": values for name, values in hops.items()})
    return out


HOPS = ["monitor", "matcher", "dispatch", "worker", "receiver"]


def hop_times(gateway: GatewayServer, sessions: List[str]) -> Dict[str, tuple]:
    """Per session: when its payment's confirmation was recorded, its payment.completed event
    written, its delivery queued and first attempted (Unix seconds)."""
    if not sessions:
        return {}
    ids = ",".join(f"'{sid}'" for sid in sessions)
    text = psql(gateway.database_url, f"""
        SELECT e.payload->'object'->>'id',
               (SELECT extract(epoch FROM max(t.confirmed_at)) FROM session_payments p JOIN chain_transfers t ON t.id = p.transfer_id
                 WHERE p.session_id = e.payload->'object'->>'id'),
               extract(epoch FROM e.created_at), extract(epoch FROM d.created_at),
               (SELECT extract(epoch FROM min(a.attempted_at)) FROM webhook_attempts a WHERE a.delivery_id = d.id)
        FROM outbox_events e LEFT JOIN webhook_deliveries d ON d.event_id = e.id
        WHERE e.type = 'payment.completed' AND e.payload->'object'->>'id' IN ({ids})""")
    out: Dict[str, tuple] = {}
    for line in text.splitlines():
        sid, *values = line.split("|")
        out[sid] = tuple(float(value) if value else None for value in values)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=int(os.environ.get("LOAD_RATE", 1000)))
    parser.add_argument("--duration", type=float, default=float(os.environ.get("LOAD_DURATION", 300)))
    parser.add_argument("--warmup", type=float, default=30,
                        help="seconds at the full rate before the run (the working set of a loaded gateway settles)")
    parser.add_argument("--sessions", type=int, default=400, help="sessions the reads, pages, streams and claims pick from")
    parser.add_argument("--pay-every", type=float, default=2.0)
    parser.add_argument("--out", default=str(ROOT / ".state" / "bench" / "load.json"))
    parser.add_argument("--automine", action="store_true",
                        help="let the devchain also mine a block for every transaction at once (off the 1-second schedule)")
    parser.add_argument("--mix", default="",
                        help="shares of each kind of request, e.g. create=1 for creations alone (default: the mixed traffic)")
    parser.add_argument("--p99-goal-ms", type=float, default=None, help="a goal for each route's p99 in the table")
    parser.add_argument("--gateway-arg", action="append", default=[],
                        help="one more argument for gateway serve (repeatable), e.g. --gateway-arg=--max-in-flight=0")
    args = parser.parse_args()
    mix = MIX
    if args.mix:
        mix = {kind: int(weight) for kind, weight in (part.split("=") for part in args.mix.split(","))}
        unknown = set(mix) - set(MIX)
        if unknown or not all(weight > 0 for weight in mix.values()):
            parser.error(f"--mix: kinds are {', '.join(MIX)}, each with a positive share")

    tmp = Path(tempfile.mkdtemp(prefix="load_bench."))
    gateway = GatewayServer(tmp, block_time="1", extra_args=["--webhook-allow-private", *args.gateway_arg])
    receiver = WebhookReceiver(keep_bodies=True).start()
    if not args.automine:
        # Blocks every second and only then, as a real chain produces them on a schedule: with
        # automine a payment's block came the moment it was sent, off the schedule the
        # monitor's pacer follows (PollPacer), which measured the devchain, not the gateway.
        gateway.chain.rpc("evm_setAutomine", False)
    try:
        endpoint = gateway.request("POST", "/v1/webhook_endpoints", {
            "url": receiver.url, "events": ["payment.confirming", "payment.completed"]}).json()
        receiver.add_secret(endpoint["secret"])
        print(f"== {args.sessions} sessions to read, page and stream", file=sys.stderr)
        sessions = [gateway.create_session(amount=f"{i % 97 + 1}.00") for i in range(args.sessions)]
        load = Load(gateway.url, gateway.api_key, sessions, mix)
        rss_idle = rss_kib(gateway.process.pid)
        if args.rate > 0:
            # At the full rate: a gateway's memory grows with the work in flight (connections,
            # buffers), which is not a leak; flat means no growth while the load stays the same.
            print(f"== warm-up {args.warmup:.0f} s at {args.rate}/s", file=sys.stderr)
            asyncio.run(Load(gateway.url, gateway.api_key, sessions, mix).run(args.rate, args.warmup))
        rss_start = rss_kib(gateway.process.pid)
        rss_series: List[int] = []
        sampling = threading.Event()

        def sample_rss() -> None:
            while not sampling.wait(10):
                rss_series.append(rss_kib(gateway.process.pid))

        sampler = threading.Thread(target=sample_rss, daemon=True)
        sampler.start()
        payer = Payer(gateway, args.pay_every)
        if args.pay_every > 0:
            payer.start()
        print(f"== {args.rate} requests/s for {args.duration:.0f} s, a payment every {args.pay_every} s", file=sys.stderr)
        if args.rate > 0:
            asyncio.run(load.run(args.rate, args.duration))
        else:
            time.sleep(args.duration)
        payer.stop_event.set()
        if payer.is_alive():
            payer.join(timeout=30)
        rss_end = rss_kib(gateway.process.pid)
        sampling.set()
        # The last payments need their depth and their webhooks.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            done = {json.loads(r.body)["data"]["object"]["id"] for r in receiver.requests
                    if r.status // 100 == 2 and json.loads(r.body)["type"] == "payment.completed"}
            if all(p["session"] in done for p in payer.paid):
                break
            time.sleep(0.5)
        latency = block_to_webhook(gateway, receiver, payer.paid)
    finally:
        receiver.stop()
        gateway.stop()

    sent = sum(load.sent.values())
    errors = sum(sum(by.values()) for by in load.errors.values())
    rows = []
    served = sum(len(values) for values in load.latencies.values())
    overloaded = sum(by.get("503", 0) for by in load.errors.values())
    print(f"\nrequests: {sent} in {args.duration:.0f} s ({sent / args.duration:.0f}/s; {load.late} dropped by the driver), "
          f"errors: {errors} (of which 503: {overloaded}); answered as expected: {served} ({served / args.duration:.0f}/s)")
    print(f"{'route':10} {'sent':>8} {'p50 ms':>8} {'p99 ms':>8}  errors")
    traffic = "mixed" if mix == MIX else "+".join(mix)
    for kind in mix:
        values = load.latencies[kind]
        p50, p99 = percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000
        print(f"{kind:10} {load.sent[kind]:8} {p50:8.1f} {p99:8.1f}  {dict(load.errors[kind]) or ''}")
        row = {"name": f"load: {kind} p99 at {args.rate}/s {traffic}", "value": round(p99, 1), "unit": "ms",
               "note": f"p50 {p50:.1f} ms, {load.sent[kind]} sent"}
        if args.p99_goal_ms is not None:
            row["goal"] = {"valueAtMost": args.p99_goal_ms}
        rows.append(row)
    print(f"RSS idle {rss_idle / 1024:.1f} MiB, after warm-up {rss_start / 1024:.1f} MiB, at the end {rss_end / 1024:.1f} MiB "
          f"({rss_end / rss_start:.2f}x); every 10 s: {' '.join(f'{value / 1024:.0f}' for value in rss_series)} MiB")
    paid = len(payer.paid)
    for kind in ("confirming", "completed"):
        values = latency[kind]
        if values:
            print(f"block to payment.{kind} 2xx under load: p50 {percentile(values, 0.5) * 1000:.0f} ms, "
                  f"p99 {percentile(values, 0.99) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms ({len(values)} of {paid})")
    breakdown = [(name, latency.get(f"hop {name}", [])) for name in HOPS]
    if any(values for _, values in breakdown):
        print("  of which, p50 / p99 ms: " + ", ".join(
            f"{name} {percentile(values, 0.5) * 1000:.0f} / {percentile(values, 0.99) * 1000:.0f}" for name, values in breakdown if values))
    if latency["missing"]:
        print(f"missing webhooks: {latency['missing'][:10]}")
    if payer.failures:
        print(f"payer failures: {payer.failures[:5]}")

    completed = latency["completed"]
    if args.rate == 0:
        # No load: the block-to-webhook latency alone.
        figures = []
        for kind, hop in (("confirming", "the payment's block"), ("completed", "the block completing the depth")):
            values = latency[kind]
            if not values:
                continue
            for q, goal in ((0.5, 250), (0.99, 500)):
                figures.append({
                    "name": f"from {hop} to the payment.{kind} 2xx, p{round(q * 100)}",
                    "value": round(percentile(values, q) * 1000), "unit": "ms", "goal": {"valueAtMost": goal},
                    "note": f"{len(values)} of {paid} payments, one every {args.pay_every} s, 1 s blocks"})
        write(Path(args.out).with_name("block-to-webhook.json"), "block-to-webhook", figures)
        return 0 if not latency["missing"] else 1
    figures = [
        {"name": f"load: errors in {sent} requests at {args.rate}/s {traffic} for {args.duration:.0f} s", "value": errors + load.late,
         "unit": "requests", "goal": {"valueAtMost": 0}, "note": json.dumps({k: dict(v) for k, v in load.errors.items()})},
        {"name": f"load: requests answered as expected per second at {args.rate}/s offered", "value": round(served / args.duration),
         "unit": "req/s", "goal": {"valueAtLeast": args.rate}, "note": f"{overloaded} refused with 503 (overloaded or timed out)"},
        {"name": "load: gateway RSS at the end / after warm-up", "value": round(rss_end / rss_start, 3), "unit": "x",
         "goal": {"valueAtMost": 1.25}, "note": f"{rss_start / 1024:.1f} MiB -> {rss_end / 1024:.1f} MiB"},
        *rows,
    ]
    if completed:
        figures.append({
            "name": "load: block completing the depth to payment.completed 2xx, p99", "value": round(percentile(completed, 0.99) * 1000),
            "unit": "ms", "goal": {"valueAtMost": 500},
            "note": f"p50 {percentile(completed, 0.5) * 1000:.0f} ms over {len(completed)} payments of {paid}",
        })
    write(Path(args.out), Path(args.out).stem, figures)
    return 0 if errors == 0 and not latency["missing"] else 1


def write(out: Path, name: str, figures: list) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"benchmark": name, "measuredAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                               "figures": figures}, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
