"""JSON shapes of blocks, transactions, receipts and logs, as geth and Erigon send them.

Quantities are hex without leading zeros ("0x0" for zero), byte strings are 0x-hex,
addresses are lowercase hex, keys are camelCase. Every function here is pure: it turns
py-evm objects (plus the facts the chain node recorded about them) into plain dicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

import rlp
from eth_utils import keccak

ZERO_HASH = b"\x00" * 32

# Transaction types the node accepts and serializes.
LEGACY_TX = 0
ACCESS_LIST_TX = 1
DYNAMIC_FEE_TX = 2

# Blob gas limit per block after Prague (nine blobs of 131072 gas), for eth_feeHistory.
MAX_BLOB_GAS_PER_BLOCK = 9 * 131072
BLOB_BASE_FEE_UPDATE_FRACTION = 5007716
MIN_BLOB_BASE_FEE = 1


def qty(value: int) -> str:
    """Hex quantity: no leading zeros, "0x0" for zero."""
    return hex(value)


def data(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def address(value: Optional[bytes]) -> Optional[str]:
    if value is None or len(value) == 0:
        return None
    return "0x" + bytes(value).hex()


def word(value: int) -> str:
    """A 32-byte word given as an integer (log topics, storage keys)."""
    return "0x" + value.to_bytes(32, "big").hex()


def bloom(value: int) -> str:
    return "0x" + value.to_bytes(256, "big").hex()


def tx_type(tx: Any) -> int:
    type_id = getattr(tx, "type_id", None)
    return LEGACY_TX if type_id is None else int(type_id)


def effective_gas_price(tx: Any, base_fee: int) -> int:
    """What the sender paid per gas: the legacy gas price, or min(fee cap, base fee + tip)."""
    if tx_type(tx) == DYNAMIC_FEE_TX:
        return min(tx.max_fee_per_gas, base_fee + tx.max_priority_fee_per_gas)
    return tx.gas_price


def effective_tip(tx: Any, base_fee: int) -> int:
    """The part of the gas price that goes to the block producer."""
    return effective_gas_price(tx, base_fee) - base_fee


def contract_address(sender: bytes, nonce: int) -> bytes:
    return keccak(rlp.encode([sender, nonce]))[12:]


def fake_exponential(factor: int, numerator: int, denominator: int) -> int:
    """EIP-4844's integer approximation of factor * e ** (numerator / denominator)."""
    i = 1
    output = 0
    accumulator = factor * denominator
    while accumulator > 0:
        output += accumulator
        accumulator = (accumulator * numerator) // (denominator * i)
        i += 1
    return output // denominator


def blob_base_fee(excess_blob_gas: int) -> int:
    return fake_exponential(MIN_BLOB_BASE_FEE, excess_blob_gas, BLOB_BASE_FEE_UPDATE_FRACTION)


@dataclass
class MinedBlock:
    """A block the node produced, with what the JSON shapes need and py-evm does not keep."""

    block: Any
    receipts: Sequence[Any]
    senders: Sequence[bytes]

    @property
    def header(self) -> Any:
        return self.block.header

    @property
    def hash(self) -> bytes:
        return self.block.header.hash

    @property
    def number(self) -> int:
        return self.block.header.block_number

    def gas_used_by(self, index: int) -> int:
        previous = self.receipts[index - 1].gas_used if index > 0 else 0
        return self.receipts[index].gas_used - previous

    def first_log_index(self, tx_index: int) -> int:
        return sum(len(receipt.logs) for receipt in self.receipts[:tx_index])


def transaction_json(
    tx: Any,
    sender: bytes,
    mined: Optional[MinedBlock] = None,
    index: Optional[int] = None,
) -> dict:
    """eth_getTransactionByHash shape. Without `mined` the transaction is pending (in the pool)."""
    kind = tx_type(tx)
    if mined is not None:
        gas_price = effective_gas_price(tx, mined.header.base_fee_per_gas)
    else:
        gas_price = tx.max_fee_per_gas if kind == DYNAMIC_FEE_TX else tx.gas_price
    result: dict = {
        "blockHash": data(mined.hash) if mined else None,
        "blockNumber": qty(mined.number) if mined else None,
        "blockTimestamp": qty(mined.header.timestamp) if mined else None,
        "from": address(sender),
        "gas": qty(tx.gas),
        "gasPrice": qty(gas_price),
    }
    if kind == DYNAMIC_FEE_TX:
        result["maxFeePerGas"] = qty(tx.max_fee_per_gas)
        result["maxPriorityFeePerGas"] = qty(tx.max_priority_fee_per_gas)
    result.update(
        {
            "hash": data(tx.hash),
            "input": data(tx.data),
            "nonce": qty(tx.nonce),
            "to": address(tx.to),
            "transactionIndex": qty(index) if mined is not None else None,
            "value": qty(tx.value),
            "type": qty(kind),
        }
    )
    if kind != LEGACY_TX:
        result["accessList"] = [
            {
                "address": address(entry.account),
                "storageKeys": [word(key) for key in entry.storage_keys],
            }
            for entry in tx.access_list
        ]
    if tx.chain_id is not None:
        result["chainId"] = qty(tx.chain_id)
    if kind == LEGACY_TX:
        result["v"] = qty(tx.v)
    else:
        result["v"] = qty(tx.y_parity)
    result["r"] = qty(tx.r)
    result["s"] = qty(tx.s)
    if kind != LEGACY_TX:
        result["yParity"] = qty(tx.y_parity)
    return result


def log_json(mined: MinedBlock, tx_index: int, log_index: int, log: Any) -> dict:
    tx = mined.block.transactions[tx_index]
    return {
        "address": address(log.address),
        "topics": [word(topic) for topic in log.topics],
        "data": data(log.data),
        "blockNumber": qty(mined.number),
        "transactionHash": data(tx.hash),
        "transactionIndex": qty(tx_index),
        "blockHash": data(mined.hash),
        "blockTimestamp": qty(mined.header.timestamp),
        "logIndex": qty(log_index),
        "removed": False,
    }


def block_logs_json(mined: MinedBlock) -> list:
    """Every log of the block in order, with block-wide log indexes."""
    result = []
    log_index = 0
    for tx_index, receipt in enumerate(mined.receipts):
        for log in receipt.logs:
            result.append(log_json(mined, tx_index, log_index, log))
            log_index += 1
    return result


def receipt_json(mined: MinedBlock, index: int) -> dict:
    tx = mined.block.transactions[index]
    receipt = mined.receipts[index]
    sender = mined.senders[index]
    first = mined.first_log_index(index)
    created = contract_address(sender, tx.nonce) if not tx.to else None
    return {
        "blockHash": data(mined.hash),
        "blockNumber": qty(mined.number),
        "contractAddress": address(created),
        "cumulativeGasUsed": qty(receipt.gas_used),
        "effectiveGasPrice": qty(effective_gas_price(tx, mined.header.base_fee_per_gas)),
        "from": address(sender),
        "gasUsed": qty(mined.gas_used_by(index)),
        "logs": [log_json(mined, index, first + offset, log) for offset, log in enumerate(receipt.logs)],
        "logsBloom": bloom(receipt.bloom),
        "status": qty(1 if receipt.state_root == b"\x01" else 0),
        "to": address(tx.to),
        "transactionHash": data(tx.hash),
        "transactionIndex": qty(index),
        "type": qty(tx_type(tx)),
    }


def block_json(mined: MinedBlock, full_transactions: bool) -> dict:
    header = mined.header
    if full_transactions:
        transactions = [
            transaction_json(tx, mined.senders[i], mined, i) for i, tx in enumerate(mined.block.transactions)
        ]
    else:
        transactions = [data(tx.hash) for tx in mined.block.transactions]
    result = {
        "baseFeePerGas": qty(header.base_fee_per_gas),
        "blobGasUsed": qty(header.blob_gas_used),
        "difficulty": qty(header.difficulty),
        "excessBlobGas": qty(header.excess_blob_gas),
        "extraData": data(header.extra_data),
        "gasLimit": qty(header.gas_limit),
        "gasUsed": qty(header.gas_used),
        "hash": data(header.hash),
        "logsBloom": bloom(header.bloom),
        "miner": address(header.coinbase),
        "mixHash": data(header.mix_hash),
        "nonce": data(header.nonce),
        "number": qty(header.block_number),
        "parentBeaconBlockRoot": data(header.parent_beacon_block_root),
        "parentHash": data(header.parent_hash),
        "receiptsRoot": data(header.receipt_root),
    }
    requests_hash = getattr(header, "requests_hash", None)
    if requests_hash is not None:
        result["requestsHash"] = data(requests_hash)
    result.update(
        {
            "sha3Uncles": data(header.uncles_hash),
            "size": qty(len(rlp.encode(mined.block))),
            "stateRoot": data(header.state_root),
            "timestamp": qty(header.timestamp),
            "transactions": transactions,
            "transactionsRoot": data(header.transaction_root),
            "uncles": [],
            "withdrawals": [],
            "withdrawalsRoot": data(header.withdrawals_root),
        }
    )
    return result
