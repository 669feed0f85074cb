"""Independent cross-check of transactions signed by `gateway eth sign-tx`.

Reads a JSON file of cases: {"privateKey", "tx" (the JSON given to sign-tx), "raw" (our
output)}. For each case eth-account signs the same transaction and must produce the same
raw bytes, and recovers the sender of our raw transaction, which must be the key's address.
Prints one JSON object: {"cases": N, "mismatches": [...]}.
"""
import json
import sys

from eth_account import Account


def to_eth_account(tx):
    out = {
        "nonce": int(tx.get("nonce", 0)),
        "gas": int(tx.get("gasLimit", 0)),
        "value": int(tx.get("value", "0")),
        "data": tx.get("data", "0x"),
    }
    if tx.get("to"):
        out["to"] = tx["to"]
    if tx["type"] == 0:
        out["gasPrice"] = int(tx.get("gasPrice", "0"))
        if int(tx.get("chainId", 0)) != 0:
            out["chainId"] = int(tx["chainId"])
    else:
        out["type"] = 2
        out["chainId"] = int(tx["chainId"])
        out["maxFeePerGas"] = int(tx.get("maxFeePerGas", "0"))
        out["maxPriorityFeePerGas"] = int(tx.get("maxPriorityFeePerGas", "0"))
        out["accessList"] = tx.get("accessList", [])
    return out


def main(path):
    cases = json.load(open(path))
    mismatches = []
    for index, case in enumerate(cases):
        account = Account.from_key(case["privateKey"])
        signed = Account.sign_transaction(to_eth_account(case["tx"]), case["privateKey"])
        theirs = "0x" + signed.raw_transaction.hex().removeprefix("0x")
        if theirs != case["raw"]:
            mismatches.append({"case": index, "kind": "raw", "ours": case["raw"], "theirs": theirs})
        sender = Account.recover_transaction(case["raw"])
        if sender != account.address:
            mismatches.append({"case": index, "kind": "sender", "recovered": sender, "expected": account.address})
    print(json.dumps({"cases": len(cases), "mismatches": mismatches}))


if __name__ == "__main__":
    main(sys.argv[1])
