"""Turns the micro-benchmarks' results into the result files the benchmark table reads
(Benchmarks/README.md): crypto.json (Keccak-256 vs OpenSSL SHA3-256, signing vs raw
libsecp256k1 and vs eth-account), decode.json (Transfer-log decoding vs web3.py and vs
orjson, and the byte decoders vs the Foundation ones) and matching.json.

    python Benchmarks/micro_results.py --jmh RESULTS.jmh.json [--peers PEERS.json]
        [--eth-account RATE] [--out DIRECTORY]

RESULTS.jmh.json is package-benchmark's JMH export of one run (Scripts/bench writes it);
PEERS.json is Benchmarks/decode_peers.py's output; RATE is Benchmarks/sign_eth_account.py's.
Rates come from each benchmark's median (p50) wall-clock time per iteration and the number
of operations in an iteration, which its name gives (`x1000`)."""
import argparse
import json
import re
import sys
from datetime import datetime, timezone
from pathlib import Path


def load_jmh(path: Path) -> dict:
    """Benchmark name -> {"p50_us", "p99_us", "mallocs", "operations"}."""
    results = {}
    for element in json.loads(path.read_text()):
        name = element["benchmark"].split(".", 3)[3].replace("_", " ")
        metrics = element.get("secondaryMetrics") or {}
        wall = metrics.get("Time (wall clock)")
        if wall is None:
            continue
        mallocs = metrics.get("Malloc (total)")
        batch = re.search(r" x(\d+)", name)
        results[name] = {
            "p50_us": wall["scorePercentiles"]["50.0"],
            "p99_us": wall["scorePercentiles"]["99.0"],
            "mallocs": mallocs["scorePercentiles"]["50.0"] if mallocs else None,
            "operations": int(batch.group(1)) if batch else 1,
        }
    return results


def rate(results: dict, name: str) -> float:
    """Operations per second at the median."""
    entry = results[name]
    return entry["operations"] / (entry["p50_us"] / 1e6)


def find(results: dict, prefix: str) -> str:
    for name in results:
        if name.startswith(prefix):
            return name
    sys.exit(f"micro_results: no benchmark named {prefix}… in the results")


def write(directory: Path, benchmark: str, figures: list) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    measured = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    document = {"benchmark": benchmark, "measuredAt": measured, "figures": figures}
    (directory / f"{benchmark}.json").write_text(json.dumps(document, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jmh", type=Path, required=True)
    parser.add_argument("--peers", type=Path)
    parser.add_argument("--eth-account", type=float)
    parser.add_argument("--out", type=Path, default=Path(".state/bench"))
    args = parser.parse_args()
    results = load_jmh(args.jmh)

    crypto = []
    for size, nbytes, goal in [("64 B", 64, None), ("1 KiB", 1024, 0.7), ("1 MiB", 1 << 20, 0.7)]:
        ours = rate(results, find(results, f"Keccak-256 {size} x")) * nbytes / 1e6
        limit = rate(results, find(results, f"OpenSSL SHA3-256 {size} x")) * nbytes / 1e6
        figure = {
            "name": f"Keccak-256, {size} inputs", "value": round(ours, 1), "unit": "MB/s",
            "reference": {"name": "OpenSSL SHA3-256", "value": round(limit, 1), "unit": "MB/s", "kind": "limit"},
            "ratio": round(ours / limit, 3), "ratioMeans": "ours / OpenSSL",
        }
        if goal:
            figure["goal"] = {"ratioAtLeast": goal}
        crypto.append(figure)
    signing = rate(results, find(results, "EIP-1559 sign + recover x"))
    raw = rate(results, find(results, "libsecp256k1 sign + recover x"))
    crypto.append({
        "name": "EIP-1559 transactions signed, sender recovered", "value": round(signing, 1), "unit": "tx/s",
        "reference": {"name": "raw libsecp256k1 sign + recover", "value": round(raw, 1), "unit": "ops/s", "kind": "limit"},
        "ratio": round(signing / raw, 3), "ratioMeans": "ours / libsecp256k1", "goal": {"ratioAtLeast": 0.8},
    })
    if args.eth_account:
        crypto.append({
            "name": "EIP-1559 transactions signed (vs eth-account)", "value": round(signing, 1), "unit": "tx/s",
            "reference": {"name": "eth-account (Python)", "value": round(args.eth_account, 1), "unit": "tx/s", "kind": "peer"},
            "ratio": round(signing / args.eth_account, 2), "ratioMeans": "ours / eth-account",
        })
    write(args.out, "crypto", crypto)

    decode = []
    byte_name = find(results, "Transfer logs, byte decoders x")
    foundation_name = find(results, "Transfer logs, Foundation decoders x")
    ours, before = rate(results, byte_name), rate(results, foundation_name)
    decode.append({
        "name": "Transfer logs decoded and filtered", "value": round(ours, 0), "unit": "logs/s",
        "reference": {"name": "the same client with Foundation's JSONSerialization (before)", "value": round(before, 0),
                      "unit": "logs/s", "kind": "peer"},
        "ratio": round(ours / before, 2), "ratioMeans": "byte decoders / Foundation decoders",
        "note": f"mallocs per answer (p50): {results[byte_name]['mallocs']} vs {results[foundation_name]['mallocs']}",
    })
    if args.peers:
        peers = json.loads(args.peers.read_text())
        web3 = peers["web3"]["logsPerSecond"]
        orjson = peers["orjson"]["logsPerSecond"]
        decode.append({
            "name": "Transfer logs decoded and filtered (vs web3.py)", "value": round(ours, 0), "unit": "logs/s",
            "reference": {"name": "web3.py on the same answer", "value": web3, "unit": "logs/s", "kind": "peer"},
            "ratio": round(ours / web3, 2), "ratioMeans": "ours / web3.py",
        })
        decode.append({
            "name": "Transfer logs decoded and filtered (vs orjson)", "value": round(ours, 0), "unit": "logs/s",
            "reference": {"name": "orjson parsing the same answer, nothing more", "value": orjson, "unit": "logs/s", "kind": "limit"},
            "ratio": round(ours / orjson, 2), "ratioMeans": "ours / orjson",
        })
    write(args.out, "decode", decode)

    matching = []
    for prefix, label in [("PaymentMatch.decide x", "PaymentMatch.decide"), ("SessionLedger x", "SessionLedger.apply")]:
        name = find(results, prefix)
        per_transfer_us = results[name]["p50_us"] / results[name]["operations"]
        matching.append({
            "name": f"{label}, per transfer over 200 sessions", "value": round(per_transfer_us, 2), "unit": "µs",
            "note": f"p99 {results[name]['p99_us'] / results[name]['operations']:.2f} µs; mallocs per batch (p50) {results[name]['mallocs']}",
        })
    write(args.out, "matching", matching)


if __name__ == "__main__":
    main()
