"""Reads pgbench per-transaction logs (-l) and prints `count p50_us p99_us` of their latencies."""

import sys


def main() -> None:
    latencies = []
    for path in sys.argv[1:]:
        with open(path) as log:
            for line in log:
                fields = line.split()
                # client_id transaction_no time_us script_no epoch epoch_us; "skipped"/"failed" are not times.
                if len(fields) >= 3 and fields[2].isdigit():
                    latencies.append(int(fields[2]))
    latencies.sort()
    if not latencies:
        print("0 0 0")
        return

    def percentile(p: float) -> int:
        return latencies[min(len(latencies) - 1, int(round(p / 100 * len(latencies) + 0.5)) - 1)]

    print(len(latencies), percentile(50), percentile(99))


main()
