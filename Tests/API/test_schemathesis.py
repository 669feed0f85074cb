"""Property-based run of schemathesis against the running gateway: every operation of
openapi.json, valid and invalid inputs, no 5xx, and every answer as the document describes it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from openapi_check import DOCUMENT

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
# Per operation and phase: about 2,000 requests, well under a minute on two cores.
MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "150"))
# Fixed by default so that a run can be repeated; API_FUZZ_SEED chooses another.
SEED = os.environ.get("API_FUZZ_SEED", "20261122")
RUN_TIMEOUT = 420
# No 5xx; status, content type, headers and body of every answer as the document declares them.
CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
])


def config_file(path: Path, session: dict, other_session: str, api_key_id: str) -> Path:
    """Real ids for the path parameters, so that the checks reach past the 404 of an unknown id."""
    path.write_text(
        "# Written by test_schemathesis.py for one run.\n"
        "# One event is enough of the checkout stream, which stays open.\n"
        "max-stream-events = 1\n\n"
        "[[operations]]\n"
        'include-operation-id = ["getPaymentSession", "getCheckoutPage", "streamCheckoutEvents", '
        '"createCheckoutTransaction"]\n'
        f'parameters = {{ "path.id" = "{session["id"]}", "body.client_secret" = "{session["client_secret"]}" }}\n\n'
        "[[operations]]\n"
        'include-operation-id = ["cancelPaymentSession", "attachTransfer"]\n'
        f'parameters = {{ "path.id" = "{other_session}" }}\n\n'
        "[[operations]]\n"
        'include-operation-id = ["revokeApiKey"]\n'
        f'parameters = {{ "path.id" = "{api_key_id}" }}\n'
    )
    return path


def test_schemathesis(api, gateway, tmp_path: Path) -> None:
    # A key of its own, so the run cannot disturb the key the other tests use.
    key = api.ok("POST", "/v1/api_keys", {"scopes": ["read", "write", "refund", "admin"],
                                          "description": "Property-based test run"}, expect=201)["secret"]
    session = api.ok("POST", "/v1/payment_sessions", {"amount": "10.00", "currency": "USD"}, expect=201)
    other_session = api.ok("POST", "/v1/payment_sessions", {"amount": "11.00", "currency": "USDC"}, expect=201)["id"]
    spare_key = api.ok("POST", "/v1/api_keys", {"scopes": ["read"], "description": "Revoked by the run"}, expect=201)["id"]
    config = config_file(tmp_path / "schemathesis.toml", session, other_session, spare_key)
    junit = tmp_path / "junit.xml"
    command = [
        str(SCHEMATHESIS), "--config-file", str(config), "run", str(DOCUMENT),
        "--url", gateway.url,
        "--header", f"Authorization: Bearer {key}",
        "--checks", CHECKS,
        "--phases", "examples,coverage,fuzzing",
        "--mode", "all",
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", SEED,
        "--request-timeout", "10",
        # One worker: Python 3.11 can fail parsing source in parallel threads (an AST recursion
        # depth error inside Hypothesis), which would end the run with an error.
        "--workers", "1",
        "--generation-database", "none",
        "--suppress-health-check", "all",
        "--no-color",
        "--report", "junit", "--report-junit-path", str(junit),
    ]
    env = dict(os.environ, NO_COLOR="1")
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    output = (run.stdout + run.stderr).replace(key, "sk_test_…")
    print(output[-20000:])
    assert run.returncode == 0, output[-20000:]

    # Every operation of the document was exercised.
    paths = json.loads(DOCUMENT.read_text())["paths"]
    operations = {f"{method.upper()} {path}" for path, item in paths.items() for method in item
                  if method in ("get", "post", "put", "patch", "delete")}
    tested = {case.get("name") for case in ElementTree.parse(junit).getroot().iter("testcase")}
    assert tested == operations, tested
