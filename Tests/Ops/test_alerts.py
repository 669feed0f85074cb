"""The alerting rules in Ops/alerts.yml: valid for Prometheus (`promtool check rules`), their
thresholds as Ops/alerts_test.yml states them (`promtool test rules`), and every metric they
read is one the gateway exports or one docs/OPERATIONS.md reserves for a service to come."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OPS = ROOT / "Ops"


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is missing: Scripts/setup installs Debian's prometheus package")
    return path


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([promtool(), *args], cwd=OPS, capture_output=True, text=True, timeout=120)


def test_rules_are_valid() -> None:
    result = run("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 20 rules found" in result.stdout


def test_rule_unit_tests_pass() -> None:
    result = run("test", "rules", "alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_has_a_test_a_summary_and_a_runbook() -> None:
    rules = (OPS / "alerts.yml").read_text()
    tests = (OPS / "alerts_test.yml").read_text()
    alerts = re.findall(r"^\s+- alert: (\w+)$", rules, flags=re.M)
    assert len(alerts) == 20
    for alert in alerts:
        assert f"alertname: {alert}\n" in tests, f"{alert} has no unit test"
    assert rules.count("summary:") == len(alerts)
    assert rules.count("runbook: \"docs/OPERATIONS.md#") == len(alerts)


def test_every_metric_and_runbook_is_documented() -> None:
    rules = (OPS / "alerts.yml").read_text()
    operations = (ROOT / "docs" / "OPERATIONS.md").read_text()
    for metric in set(re.findall(r"\bgateway_[a-z0-9_]+", rules)):
        assert f"`{metric}" in operations, f"{metric} is not in docs/OPERATIONS.md"
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")
        for heading in re.findall(r"^#+ (.+)$", operations, flags=re.M)
    }
    for anchor in set(re.findall(r"docs/OPERATIONS\.md#([a-z0-9-]+)", rules)):
        assert anchor in anchors, f"no section #{anchor} in docs/OPERATIONS.md"
