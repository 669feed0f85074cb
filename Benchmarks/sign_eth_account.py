"""Peer measurement: eth-account signing the same EIP-1559 ERC-20 transfer as GatewayBench.
Prints signed transactions per second (best of three runs of about one second)."""
import time

from eth_account import Account

KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
DATA = "0xa9059cbb0000000000000000000000005aaeb6053f3e94c9b9a09f33669435e7ef1beaed" + format(1_500_000, "064x")
TX = {
    "type": 2, "chainId": 137, "nonce": 42, "maxPriorityFeePerGas": 30_000_000_000, "maxFeePerGas": 120_000_000_000,
    "gas": 65_000, "to": "0xc2132D05D31c914a87C6611C10748AEb04B58e8F", "value": 0, "data": DATA,
}

best = 0.0
for _ in range(3):
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < 1.0:
        Account.sign_transaction(TX, KEY)
        count += 1
    best = max(best, count / (time.perf_counter() - start))
print(best)
