"""Hot wallets and refunds for Python-side tests: a devnet wallet imported with `gateway wallet
import` (a light scrypt cost), funded from a devchain account, and helpers that wait for
refunds and read what the chain and the database hold about them.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from eth_account import Account
from eth_utils import to_checksum_address

from devchain_helpers import TRANSFER_TOPIC, Devchain, sign, token_transfer

# Light enough for tests; `gateway wallet new` defaults to geth's 262144.
TEST_SCRYPT_N = "1024"
# Devchain account that funds hot wallets (customers pay from 1 and 2).
FUNDER = 5
# Wei per ETH.
ETHER = 10**18


class HotWallet:
    """A devnet hot wallet in `directory`, its passphrase in a file, its key kept for checks."""

    def __init__(self, binary: str, env: dict, directory: Path) -> None:
        self.directory = directory / "keystore"
        self.passphrase_file = directory / "wallet-passphrase"
        self.passphrase_file.write_text(secrets.token_urlsafe(24) + "\n")
        os.chmod(self.passphrase_file, 0o600)
        account = Account.create()
        self.private_key = account.key.hex() if account.key.hex().startswith("0x") else "0x" + account.key.hex()
        key_file = directory / "hot-wallet.key"
        key_file.write_text(self.private_key + "\n")
        os.chmod(key_file, 0o600)
        out = subprocess.run(
            [binary, "wallet", "import", "--network", "devnet", "--keystore-dir", str(self.directory),
             "--passphrase-file", str(self.passphrase_file), "--private-key-file", str(key_file), "--scrypt-n", TEST_SCRYPT_N],
            env=env, capture_output=True, text=True,
        )
        key_file.unlink()
        if out.returncode != 0:
            raise RuntimeError(f"gateway wallet import failed: {out.stderr}")
        self.address = to_checksum_address(account.address)
        self.imported = out.stdout

    @property
    def serve_args(self) -> List[str]:
        return ["--keystore-dir", str(self.directory), "--wallet-passphrase-file", str(self.passphrase_file)]


def wait_receipt(chain: Devchain, tx_hash: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        receipt = chain.rpc("eth_getTransactionReceipt", tx_hash)
        if receipt is not None:
            return receipt
        if time.monotonic() > deadline:
            raise AssertionError(f"{tx_hash} was not mined in {timeout}s")
        time.sleep(0.2)


def fund(chain: Devchain, address: str, ether: int = 10, tokens: int = 10_000 * 10**6, sender: int = FUNDER) -> None:
    """Sends `ether` ETH and `tokens` base units of USDC and USDT from a devchain account."""
    sent = [chain.rpc("eth_sendRawTransaction", "0x" + sign(chain, sender, to=address, value=ether * ETHER, gas=21_000).hex())]
    for token in (chain.usdc, chain.usdt):
        if tokens:
            sent.append(chain.rpc("eth_sendRawTransaction", "0x" + token_transfer(chain, token, sender, address, tokens).hex()))
    for tx_hash in sent:
        assert int(wait_receipt(chain, tx_hash)["status"], 16) == 1


def wait_for(probe, what: str, timeout: float = 120, interval: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def transfers_from(chain: Devchain, token: str, sender: str) -> List[dict]:
    """Every Transfer log of `token` sent by `sender`, decoded, in chain order."""
    topic = "0x" + "0" * 24 + sender.lower()[2:]
    logs = chain.rpc("eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest", "address": token, "topics": [TRANSFER_TOPIC, topic]})
    return [{
        "to": to_checksum_address("0x" + log["topics"][2][-40:]),
        "amount": int(log["data"], 16),
        "tx_hash": log["transactionHash"],
        "block": int(log["blockNumber"], 16),
    } for log in logs]


def refund_rows(database_url: str) -> Dict[str, dict]:
    """Each refund's status and nonce, and every raw attempt with the nonce it was signed at."""
    out = subprocess.run(
        ["psql", database_url, "-qAt", "-F", "\t", "-c",
         "SELECT r.id, r.status, coalesce(r.nonce::text, ''), coalesce(a.tx_hash, ''), coalesce(encode(a.raw, 'hex'), ''), "
         "coalesce(a.nonce::text, '') FROM refunds r LEFT JOIN hot_wallet_nonces n ON n.refund_id = r.id "
         "LEFT JOIN refund_attempts a ON a.network = n.network AND a.address = n.address AND a.nonce = n.nonce ORDER BY r.seq, a.attempt"],
        check=True, capture_output=True, text=True,
    ).stdout
    rows: Dict[str, dict] = {}
    for line in out.splitlines():
        refund_id, status, nonce, tx_hash, raw, attempt_nonce = line.split("\t")
        entry = rows.setdefault(refund_id, {"status": status, "nonce": int(nonce) if nonce else None, "attempts": []})
        if tx_hash:
            entry["attempts"].append({"hash": tx_hash, "raw": "0x" + raw, "nonce": int(attempt_nonce)})
    return rows


def decoded_attempt(raw: str) -> Optional[dict]:
    """The fields of a raw EIP-1559 transaction and its recovered sender (eth-account)."""
    from eth_account.typed_transactions import TypedTransaction
    from hexbytes import HexBytes

    tx = TypedTransaction.from_bytes(HexBytes(raw))
    fields = tx.as_dict()
    fields["from"] = to_checksum_address(Account.recover_transaction(raw))
    return fields
