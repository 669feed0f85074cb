"""`gateway wallet` and `gateway serve --keystore-dir`: keystore files only, balances shown, and
no key or passphrase in any output, log, error or database row."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

from refund_helpers import TEST_SCRYPT_N, fund


def run(gateway, *args: str, env: dict = None) -> subprocess.CompletedProcess:
    return subprocess.run([gateway.binary, *args], env=env or gateway.env, capture_output=True, text=True, timeout=120)


def test_wallet_commands_and_secrets(start_gateway, tmp_path: Path) -> None:
    gateway = start_gateway()
    passphrase = "correct horse battery staple"
    passphrase_file = tmp_path / "pass"
    passphrase_file.write_text(passphrase + "\n")
    keys = tmp_path / "keys"
    location = ["--keystore-dir", str(keys), "--passphrase-file", str(passphrase_file)]

    created = run(gateway, "wallet", "new", "--network", "devnet", *location, "--scrypt-n", TEST_SCRYPT_N)
    assert created.returncode == 0, created.stderr
    wallet = json.loads(created.stdout)
    assert wallet["network"] == "devnet" and wallet["file"] == str(keys / "devnet.json")
    assert stat.S_IMODE(os.stat(keys / "devnet.json").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(keys).st_mode) == 0o700
    stored = json.loads((keys / "devnet.json").read_text())
    assert stored["version"] == 3 and stored["address"] == wallet["address"][2:].lower()

    again = run(gateway, "wallet", "new", "--network", "devnet", *location, "--scrypt-n", TEST_SCRYPT_N)
    assert again.returncode != 0 and "already exists" in again.stderr
    for network in ("../escape", "mainnet"):
        refused = run(gateway, "wallet", "new", "--network", network, *location, "--scrypt-n", TEST_SCRYPT_N)
        assert refused.returncode != 0 and "is not a network" in refused.stderr
    assert sorted(p.name for p in keys.iterdir()) == ["devnet.json"]

    # Balances from the chain, native and tokens.
    fund(gateway.chain, wallet["address"], ether=2, tokens=1_234_500_000)
    listed = run(gateway, "wallet", "list", *location, "--devchain-info", str(gateway.chain.info_path))
    assert listed.returncode == 0, listed.stderr
    line = json.loads(listed.stdout)
    assert line["address"] == wallet["address"] and line["source"] == "chain"
    assert line["balances"]["ETH"] == {"amount": "2", "base_units": str(2 * 10**18)}
    assert line["balances"]["USDC"] == {"amount": "1234.5", "base_units": "1234500000"}
    assert line["balances"]["USDT"]["amount"] == "1234.5"

    # The running gateway's wallet: balances stored for operators, read back without a chain.
    served = run(gateway, "wallet", "list", "--keystore-dir", str(gateway.wallet.directory), "--passphrase-file",
                 str(gateway.wallet.passphrase_file))
    assert served.returncode == 0, served.stderr
    stored = json.loads(served.stdout)
    assert stored["source"] == "database" and stored["address"] == gateway.wallet.address
    # devnet's token addresses come from the devchain's info file: without it, tokens are named by address.
    assert stored["balances"][gateway.chain.usdc]["base_units"] == "10000000000"
    assert stored["balances"]["ETH"]["amount"] == "10"

    # A wrong passphrase: refused, and never repeated.
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase\n")
    refused = run(gateway, "wallet", "list", "--keystore-dir", str(keys), "--passphrase-file", str(wrong))
    assert refused.returncode != 0 and "not the passphrase" not in refused.stderr
    serve = run(gateway, "serve", "--port", "0", "--devchain-info", str(gateway.chain.info_path), "--skip-migrations",
                "--keystore-dir", str(keys), "--wallet-passphrase-file", str(wrong))
    assert serve.returncode != 0
    assert "cannot unlock the devnet hot wallet" in serve.stderr
    assert "not the passphrase" not in serve.stderr + serve.stdout

    # The serving gateway's log and database hold neither its key nor its passphrase.
    secret_key = gateway.wallet.private_key[2:].lower()
    secret_phrase = gateway.wallet.passphrase_file.read_text().strip()
    log = gateway.log_path.read_text()
    assert gateway.wallet.address in log
    assert secret_key not in log.lower() and secret_phrase not in log
    dump = subprocess.run(["pg_dump", "--data-only", gateway.database_url], capture_output=True, text=True, check=True).stdout
    assert secret_key not in dump.lower() and secret_phrase not in dump
    for output in (created, listed, served):
        assert secret_key not in (output.stdout + output.stderr).lower()
