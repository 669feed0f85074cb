"""Delivery latency per event: the receiver's arrival time of an event's first delivery minus
the event's created_at in the outbox. Prints a table.

    latency.py --events EVENTS.tsv --log RECEIVER.jsonl --load LOAD.json --goal 1 --seed-goal 5

EVENTS.tsv: `event_id<TAB>epoch seconds` (psql -At -F $'\\t'), the payment.created events of the run.
"""

from __future__ import annotations

import argparse
import json
import sys


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--load", required=True)
    parser.add_argument("--goal", type=float, default=1.0, help="the latency goal, seconds")
    parser.add_argument("--seed-goal", type=float, default=5.0, help="the earlier goal, seconds")
    args = parser.parse_args()

    created = {}
    with open(args.events) as events:
        for line in events:
            if line.strip():
                event_id, at = line.rstrip("\n").split("\t")
                created[event_id] = float(at)

    first_arrival = {}
    requests = invalid = stale = strays = 0
    with open(args.log) as log:
        for line in log:
            record = json.loads(line)
            requests += 1
            if not record["valid"]:
                invalid += 1
            elif not record["fresh"]:
                stale += 1
            event_id = record["id"]
            if event_id not in created:
                strays += 1
                continue
            if event_id not in first_arrival or record["t"] < first_arrival[event_id]:
                first_arrival[event_id] = record["t"]

    load = json.load(open(args.load))
    latencies = [first_arrival[e] - created[e] for e in first_arrival]
    delivered = len(latencies)
    duplicates = requests - strays - delivered
    missing = len(created) - delivered

    print()
    print(f"Webhook delivery latency: sessions created at {load['offered_rate']:g}/s for "
          f"{load['elapsed_s']:.0f} s (achieved {load['achieved_rate']:.1f}/s, "
          f"creation p99 {load['create_p99_ms']:.1f} ms, start lag p99 {load['start_lag_p99_ms']:.1f} ms)")
    print("latency = receiver arrival time - outbox_events.created_at, first delivery of each event")
    print()
    print(f"{'':34} {'value':>12}")
    print(f"{'events in the outbox':34} {len(created):12d}")
    print(f"{'events delivered':34} {delivered:12d}")
    print(f"{'events not delivered':34} {missing:12d}")
    print(f"{'requests received':34} {requests:12d}")
    print(f"{'duplicate deliveries':34} {duplicates:12d}")
    print(f"{'invalid signatures':34} {invalid:12d}")
    print(f"{'stale timestamps':34} {stale:12d}")
    if latencies:
        p50, p99, worst = percentile(latencies, 50), percentile(latencies, 99), max(latencies)
        print(f"{'latency p50 (ms)':34} {p50 * 1000:12.1f}")
        print(f"{'latency p99 (ms)':34} {p99 * 1000:12.1f}")
        print(f"{'latency max (ms)':34} {worst * 1000:12.1f}")
        print(f"{f'p99 / goal ({args.goal:g} s)':34} {p99 / args.goal:12.3f}")
        print(f"{f'p99 / earlier goal ({args.seed_goal:g} s)':34} {p99 / args.seed_goal:12.3f}")
        print(f"{'p99 within goal':34} {'yes' if p99 <= args.goal else 'NO':>12}")
    if load["start_lag_p99_ms"] > 100:
        print(f"the load fell behind its schedule (start lag p99 {load['start_lag_p99_ms']:.0f} ms): the gateway "
              f"did not keep up with {load['offered_rate']:g} creations a second, or the load needs more threads "
              "(BENCH_THREADS)", file=sys.stderr)
    ok = latencies and not missing and not invalid and load["errors"] == 0
    if not ok:
        print("the run is incomplete: events undelivered, invalid signatures or failed creations (see above)",
              file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
