"""Prints the benchmark table: every figure the benchmarks wrote as result files (Benchmarks/
README.md describes the format) beside its peer or limit, the ratio, the goal and whether it is
met, and a row for each expected benchmark that has not written its file yet.

    python Benchmarks/bench_table.py [DIRECTORY]      (default .state/bench)

Exits 0 whatever the figures say: the table reports, it does not judge a run."""
import json
import sys
from pathlib import Path

# The result files the table expects, in the order it prints them, with how each is made. A
# file that is missing is printed as a slot to fill; files not listed here are printed after.
SLOTS = [
    ("crypto", "Keccak-256 and signing (Scripts/bench: micro-benchmarks)"),
    ("decode", "Transfer-log decoding (Scripts/bench: micro-benchmarks and Benchmarks/decode_peers.py)"),
    ("matching", "matching transfers to sessions (Scripts/bench: micro-benchmarks)"),
    ("monitor", "monitor RPC calls per block and memory (Benchmarks/Micro MonitorBench)"),
    ("catchup", "catch-up vs a plain eth_getLogs script (Benchmarks/catchup_bench.sh)"),
    ("checkout", "session creation vs pgbench (Benchmarks/checkout_bench.sh)"),
    ("creation-rate", "session creation p99 at 500/s, open loop (Benchmarks/creation_rate_bench.sh)"),
    ("block-to-webhook", "block to webhook latency (Benchmarks/block_to_webhook_bench.sh)"),
    ("load", "mixed load while payments flow (Benchmarks/load_bench.sh, run on its own: 6 minutes)"),
    ("refunds", "refunds at once vs signing and sending the same transfers (Benchmarks/refund_bench.sh)"),
]


def number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, (int, float)):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 100:
            return f"{value:.1f}"
        return f"{value:.3g}" if abs(value) < 10 else f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def goal_text(goal) -> str:
    if not goal:
        return "—"
    parts = []
    if "ratioAtLeast" in goal:
        parts.append(f"ratio ≥ {goal['ratioAtLeast']:g}")
    if "valueAtMost" in goal:
        parts.append(f"≤ {goal['valueAtMost']:g}")
    if "valueAtLeast" in goal:
        parts.append(f"≥ {goal['valueAtLeast']:g}")
    return ", ".join(parts) or "—"


def met(figure) -> str:
    goal = figure.get("goal")
    if not goal:
        return "—"
    checks = []
    if "ratioAtLeast" in goal:
        ratio = figure.get("ratio")
        checks.append(ratio is not None and ratio >= goal["ratioAtLeast"])
    if "valueAtMost" in goal:
        checks.append(figure.get("value") is not None and figure["value"] <= goal["valueAtMost"])
    if "valueAtLeast" in goal:
        checks.append(figure.get("value") is not None and figure["value"] >= goal["valueAtLeast"])
    return "yes" if all(checks) else "NO"


def rows_of(document) -> list:
    rows = []
    for figure in document.get("figures", []):
        reference = figure.get("reference") or {}
        value = f"{number(figure.get('value'))} {figure.get('unit', '')}".strip()
        ref = "—"
        if reference:
            ref = f"{reference.get('name', '?')}: {number(reference.get('value'))} {reference.get('unit', '')}".strip()
            if reference.get("kind"):
                ref += f" ({reference['kind']})"
        ratio = number(figure.get("ratio")) if figure.get("ratio") is not None else "—"
        rows.append([figure.get("name", "?"), value, ref, ratio, goal_text(figure.get("goal")), met(figure)])
    return rows


def main(directory: Path) -> None:
    header = ["figure", "value", "peer or limit", "ratio", "goal", "met"]
    rows = []
    seen = set()
    files = {path.stem: path for path in sorted(directory.glob("*.json"))} if directory.is_dir() else {}
    for name, what in SLOTS:
        seen.add(name)
        path = files.get(name)
        if path is None:
            rows.append([f"[{name}] {what}", "not measured", "—", "—", "—", "—"])
            continue
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            rows.append([f"[{name}] unreadable: {error}", "—", "—", "—", "—", "—"])
            continue
        rows += rows_of(document) or [[f"[{name}] no figures", "—", "—", "—", "—", "—"]]
    for name, path in files.items():
        if name not in seen and not name.endswith(".meta"):
            try:
                rows += rows_of(json.loads(path.read_text()))
            except (OSError, ValueError):
                continue
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    print()
    print("== Benchmarks: each figure beside its peer or limit (ratio: higher is better; see README)")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print(line)
    for row in rows:
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".state/bench"))
