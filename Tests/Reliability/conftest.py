"""The reliability runs: a real gateway on the devchain and a private PostgreSQL, attacked by
reorgs and SIGKILL while payments flow. Figures go to the end of the run's output."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Support"))

SUMMARY: List[str] = []


def pytest_terminal_summary(terminalreporter) -> None:
    if SUMMARY:
        terminalreporter.section("reliability figures")
        for line in SUMMARY:
            terminalreporter.write_line(line)
