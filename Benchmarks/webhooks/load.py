"""Creates payment sessions at a steady rate on a fixed schedule: request i is due at
start + i / rate, whatever happened to the ones before (an open-loop load, so a slow answer
does not lower the offered rate). Several threads, each with a kept-alive connection.

    load.py --url http://127.0.0.1:PORT --key sk_test_… --rate 100 --duration 60 [--threads 16]

Prints one JSON object: sent, created, errors, offered and achieved rates, how late requests
started against their schedule, and the creation latency.
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
import urllib.parse


def percentile(values, p):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--threads", type=int, default=64)
    parser.add_argument("--run", default=str(int(time.time())), help="part of each Idempotency-Key")
    args = parser.parse_args()

    target = urllib.parse.urlsplit(args.url)
    total = int(args.rate * args.duration)
    lock = threading.Lock()
    next_index = [0]
    lags, latencies, errors = [], [], []
    created = [0]
    start = time.monotonic() + 0.5

    def worker() -> None:
        connection = None
        while True:
            with lock:
                index = next_index[0]
                if index >= total:
                    break
                next_index[0] += 1
            due = start + index / args.rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            began = time.monotonic()
            cents = 100 + (index * 7919) % 999900
            body = json.dumps({"amount": f"{cents // 100}.{cents % 100:02d}", "currency": "USDC",
                               "metadata": {"order": str(index)}})
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {args.key}",
                       "Idempotency-Key": f"webhook-bench-{args.run}-{index}"}
            status = 0
            for attempt in range(2):
                try:
                    if connection is None:
                        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                    connection.request("POST", "/v1/payment_sessions", body=body, headers=headers)
                    answer = connection.getresponse()
                    answer.read()
                    status = answer.status
                    break
                except (http.client.HTTPException, OSError) as error:
                    if connection is not None:
                        connection.close()
                    connection = None
                    if attempt:
                        status = -1
                        with lock:
                            errors.append(str(error))
            finished = time.monotonic()
            with lock:
                lags.append(began - due)
                latencies.append(finished - began)
                if status == 201:
                    created[0] += 1
                elif status != -1:
                    errors.append(f"HTTP {status}")
        if connection is not None:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    print(json.dumps({
        "sent": len(latencies),
        "created": created[0],
        "errors": len(errors),
        "first_errors": errors[:5],
        "offered_rate": args.rate,
        "achieved_rate": round(created[0] / elapsed, 2) if elapsed > 0 else 0,
        "elapsed_s": round(elapsed, 2),
        "start_lag_p99_ms": round(percentile(lags, 99) * 1000, 2),
        "start_lag_max_ms": round(max(lags, default=0) * 1000, 2),
        "create_p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "create_p99_ms": round(percentile(latencies, 99) * 1000, 2),
    }))


if __name__ == "__main__":
    main()
