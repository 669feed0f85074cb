"""JSON-RPC 2.0 dispatch for the development chain: envelopes, batches, parameters and methods.

Requests are parsed and answered the way geth answers them: the same error codes and
messages for malformed envelopes, unknown methods and bad arguments, `null` for unknown
blocks, transactions and receipts, and results shaped by `wire_format`.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Dict, List, Optional, Tuple

import wire_format as wire
from chain_node import ChainNode
from rpc_errors import (
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    RpcError,
    invalid_argument,
    server_error,
)

MAX_BATCH = 1000
MAX_TOPICS = 4
CLIENT_VERSION = "devchain/v1.0.0/py-evm"
BLOCK_TAGS = ("latest", "earliest", "pending", "safe", "finalized")
HEX_DIGITS = re.compile(r"^[0-9a-fA-F]*$")


# ---------------------------------------------------------------------- argument parsing


def _hex_body(value: Any, index: int, type_name: str) -> str:
    if not isinstance(value, str):
        raise invalid_argument(index, f"json: cannot unmarshal non-string into Go value of type {type_name}")
    if not value.startswith(("0x", "0X")):
        raise invalid_argument(index, "hex string without 0x prefix")
    body = value[2:]
    if not HEX_DIGITS.match(body):
        raise invalid_argument(index, "invalid hex string")
    return body


def quantity(value: Any, index: int) -> int:
    body = _hex_body(value, index, "hexutil.Big")
    if body == "":
        raise invalid_argument(index, "hex string \"0x\"")
    return int(body, 16)


def data_bytes(value: Any, index: int) -> bytes:
    body = _hex_body(value, index, "hexutil.Bytes")
    if len(body) % 2:
        raise invalid_argument(index, "json: cannot unmarshal hex string of odd length into Go value of type hexutil.Bytes")
    return bytes.fromhex(body)


def fixed_bytes(value: Any, index: int, size: int, type_name: str) -> bytes:
    body = _hex_body(value, index, type_name)
    if len(body) != size * 2:
        raise invalid_argument(index, f"hex string has length {len(body)}, want {size * 2} for {type_name}")
    return bytes.fromhex(body)


def address_arg(value: Any, index: int) -> bytes:
    return fixed_bytes(value, index, 20, "common.Address")


def hash_arg(value: Any, index: int) -> bytes:
    return fixed_bytes(value, index, 32, "common.Hash")


def bool_arg(value: Any, index: int) -> bool:
    if not isinstance(value, bool):
        raise invalid_argument(index, f"json: cannot unmarshal {_json_kind(value)} into Go value of type bool")
    return value


def _json_kind(value: Any) -> str:
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def block_number_arg(node: ChainNode, value: Any, index: int) -> int:
    """A block tag or hex number, as a number (which may lie beyond the head)."""
    if isinstance(value, str) and value in BLOCK_TAGS:
        return node.resolve_tag(value)
    return quantity(value, index)


def block_for_state(node: ChainNode, value: Any, index: int) -> wire.MinedBlock:
    """The block whose post-state a state query reads: tag, number, or EIP-1898 object."""
    if isinstance(value, dict):
        if "blockHash" in value:
            block_hash = hash_arg(value["blockHash"], index)
            mined = node.blocks.get(block_hash)
            if mined is None:
                raise server_error("header for hash not found")
            if value.get("requireCanonical") and not node.is_canonical(mined):
                raise server_error(f"hash {wire.data(block_hash)} is not currently canonical")
            return mined
        if "blockNumber" in value:
            value = value["blockNumber"]
        else:
            raise invalid_argument(index, "types BlockNumber and BlockHash both nil")
    number = block_number_arg(node, value, index)
    mined = node.block_by_number(number)
    if mined is None:
        raise server_error("header not found")
    return mined


def call_arg(value: Any, index: int) -> dict:
    if not isinstance(value, dict):
        raise invalid_argument(index, f"json: cannot unmarshal {_json_kind(value)} into Go value of type ethapi.TransactionArgs")
    call: dict = {}
    if value.get("from") is not None:
        call["from"] = address_arg(value["from"], index)
    if value.get("to") is not None:
        call["to"] = address_arg(value["to"], index)
    if value.get("gas") is not None:
        call["gas"] = quantity(value["gas"], index)
    if value.get("value") is not None:
        call["value"] = quantity(value["value"], index)
    for key in ("gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "nonce"):
        if value.get(key) is not None:
            call[key] = quantity(value[key], index)
    if call.get("gasPrice") is not None and (
        call.get("maxFeePerGas") is not None or call.get("maxPriorityFeePerGas") is not None
    ):
        raise server_error("both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified")
    payload = value.get("input") if value.get("input") is not None else value.get("data")
    if value.get("input") is not None and value.get("data") is not None and value["input"] != value["data"]:
        raise invalid_argument(index, 'both "data" and "input" are set and not equal. Please use "input" to pass transaction call data')
    if payload is not None:
        call["data"] = data_bytes(payload, index)
    return call


def topic_filter(value: Any) -> List[Optional[set]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid_argument(0, "invalid topic(s)")
    if len(value) > MAX_TOPICS:
        raise invalid_argument(0, "exceed max topics")
    positions: List[Optional[set]] = []
    for position in value:
        if position is None:
            positions.append(None)
        elif isinstance(position, str):
            positions.append({_topic(position)})
        elif isinstance(position, list):
            wanted = {_topic(t) for t in position if t is not None}
            positions.append(wanted if wanted and None not in position else None)
        else:
            raise invalid_argument(0, "invalid topic(s)")
    return positions


def _topic(value: Any) -> int:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) != 66 or not HEX_DIGITS.match(value[2:]):
        raise invalid_argument(0, "invalid topic(s)")
    return int(value, 16)


def address_filter(value: Any) -> Optional[set]:
    if value is None:
        return None
    if isinstance(value, str):
        return {_filter_address(value)}
    if isinstance(value, list):
        return {_filter_address(v) for v in value} or None
    raise invalid_argument(0, "invalid addresses in query")


def _filter_address(value: Any) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) != 42 or not HEX_DIGITS.match(value[2:]):
        raise invalid_argument(0, "invalid address")
    return bytes.fromhex(value[2:])


def _percentile(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid_argument(2, f"json: cannot unmarshal {_json_kind(value)} into Go value of type float64")
    return value


def _block_count(value: Any) -> int:
    if isinstance(value, bool):
        raise invalid_argument(0, "json: cannot unmarshal bool into Go value of type math.HexOrDecimal64")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if value.startswith(("0x", "0X")):
            return quantity(value, 0)
        if value.isdigit():
            return int(value)
    raise invalid_argument(0, f"json: cannot unmarshal {_json_kind(value)} into Go value of type math.HexOrDecimal64")


# ---------------------------------------------------------------------- methods


class Methods:
    """The JSON-RPC methods. Each takes the params list; the caller holds the node's lock."""

    def __init__(self, node: ChainNode) -> None:
        self.node = node
        # name -> (handler, required argument count, maximum argument count)
        self.table: Dict[str, Tuple[Callable[[list], Any], int, int]] = {
            "web3_clientVersion": (lambda p: CLIENT_VERSION, 0, 0),
            "net_version": (lambda p: str(node.chain_id), 0, 0),
            "net_listening": (lambda p: True, 0, 0),
            "eth_chainId": (lambda p: wire.qty(node.chain_id), 0, 0),
            "eth_syncing": (lambda p: False, 0, 0),
            "eth_accounts": (lambda p: [], 0, 0),
            "eth_blockNumber": (lambda p: wire.qty(node.head_number), 0, 0),
            "eth_getBlockByNumber": (self.get_block_by_number, 2, 2),
            "eth_getBlockByHash": (self.get_block_by_hash, 2, 2),
            "eth_getBlockTransactionCountByNumber": (self.tx_count_by_number, 1, 1),
            "eth_getBlockTransactionCountByHash": (self.tx_count_by_hash, 1, 1),
            "eth_getBlockReceipts": (self.get_block_receipts, 1, 1),
            "eth_getTransactionByHash": (self.get_transaction_by_hash, 1, 1),
            "eth_getRawTransactionByHash": (self.get_raw_transaction_by_hash, 1, 1),
            "eth_getTransactionReceipt": (self.get_transaction_receipt, 1, 1),
            "eth_getTransactionCount": (self.get_transaction_count, 1, 2),
            "eth_getBalance": (self.get_balance, 1, 2),
            "eth_getCode": (self.get_code, 1, 2),
            "eth_getStorageAt": (self.get_storage_at, 2, 3),
            "eth_getLogs": (self.get_logs, 1, 1),
            "eth_sendRawTransaction": (self.send_raw_transaction, 1, 1),
            "eth_call": (self.call, 1, 3),
            "eth_estimateGas": (self.estimate_gas, 1, 3),
            "eth_gasPrice": (self.gas_price, 0, 0),
            "eth_maxPriorityFeePerGas": (lambda p: wire.qty(node.suggest_tip()), 0, 0),
            "eth_feeHistory": (self.fee_history, 2, 3),
            "evm_mine": (self.evm_mine, 0, 1),
            "devchain_mine": (self.devchain_mine, 0, 1),
            "evm_snapshot": (lambda p: wire.qty(node.take_snapshot()), 0, 0),
            "evm_revert": (self.evm_revert, 1, 1),
            "evm_setAutomine": (self.set_automine, 1, 1),
            "devchain_setFinalityDepth": (self.set_finality_depth, 1, 1),
            "devchain_setMinTip": (self.set_min_tip, 1, 1),
            "devchain_setMining": (self.set_mining, 1, 1),
            "devchain_pendingTransactions": (self.pending_transactions, 0, 0),
            "devchain_blockWallTimes": (self.block_wall_times, 0, 2),
        }

    def dispatch(self, method: str, params: list) -> Any:
        entry = self.table.get(method)
        if entry is None:
            raise RpcError(METHOD_NOT_FOUND, f"the method {method} does not exist/is not available")
        handler, required, maximum = entry
        if len(params) > maximum:
            raise RpcError(INVALID_PARAMS, f"too many arguments, want at most {maximum}")
        if len(params) < required:
            raise RpcError(INVALID_PARAMS, f"missing value for required argument {len(params)}")
        return handler(params)

    # blocks

    def get_block_by_number(self, p: list) -> Optional[dict]:
        number = block_number_arg(self.node, p[0], 0)
        full = bool_arg(p[1], 1)
        mined = self.node.block_by_number(number)
        return wire.block_json(mined, full) if mined else None

    def get_block_by_hash(self, p: list) -> Optional[dict]:
        mined = self.node.block_by_hash(hash_arg(p[0], 0))
        full = bool_arg(p[1], 1)
        return wire.block_json(mined, full) if mined else None

    def tx_count_by_number(self, p: list) -> Optional[str]:
        mined = self.node.block_by_number(block_number_arg(self.node, p[0], 0))
        return wire.qty(len(mined.block.transactions)) if mined else None

    def tx_count_by_hash(self, p: list) -> Optional[str]:
        mined = self.node.block_by_hash(hash_arg(p[0], 0))
        return wire.qty(len(mined.block.transactions)) if mined else None

    def get_block_receipts(self, p: list) -> Optional[list]:
        value = p[0]
        if isinstance(value, str) and len(value) == 66:
            mined = self.node.block_by_hash(hash_arg(value, 0))
        elif isinstance(value, dict) and "blockHash" in value:
            mined = self.node.block_by_hash(hash_arg(value["blockHash"], 0))
        else:
            if isinstance(value, dict):
                value = value.get("blockNumber")
            mined = self.node.block_by_number(block_number_arg(self.node, value, 0))
        if mined is None:
            return None
        return [wire.receipt_json(mined, i) for i in range(len(mined.block.transactions))]

    # transactions

    def get_transaction_by_hash(self, p: list) -> Optional[dict]:
        tx_hash = hash_arg(p[0], 0)
        found = self.node.find_transaction(tx_hash)
        if found is not None:
            mined, index = found
            return wire.transaction_json(mined.block.transactions[index], mined.senders[index], mined, index)
        pooled = self.node.pooled(tx_hash)
        if pooled is not None:
            return wire.transaction_json(pooled.tx, pooled.sender)
        return None

    def get_raw_transaction_by_hash(self, p: list) -> Optional[str]:
        tx_hash = hash_arg(p[0], 0)
        found = self.node.find_transaction(tx_hash)
        if found is not None:
            mined, index = found
            return wire.data(mined.block.transactions[index].encode())
        pooled = self.node.pooled(tx_hash)
        return wire.data(pooled.raw) if pooled else None

    def get_transaction_receipt(self, p: list) -> Optional[dict]:
        found = self.node.find_transaction(hash_arg(p[0], 0))
        if found is None:
            return None
        mined, index = found
        return wire.receipt_json(mined, index)

    def send_raw_transaction(self, p: list) -> str:
        return wire.data(self.node.send_raw_transaction(data_bytes(p[0], 0)))

    # state

    def get_transaction_count(self, p: list) -> str:
        account = address_arg(p[0], 0)
        where = p[1] if len(p) > 1 else "latest"
        if where == "pending":
            return wire.qty(self.node.pending_nonce(account))
        mined = block_for_state(self.node, where, 1)
        return wire.qty(self.node.state_at(mined).get_nonce(account))

    def get_balance(self, p: list) -> str:
        account = address_arg(p[0], 0)
        mined = block_for_state(self.node, p[1] if len(p) > 1 else "latest", 1)
        return wire.qty(self.node.state_at(mined).get_balance(account))

    def get_code(self, p: list) -> str:
        account = address_arg(p[0], 0)
        mined = block_for_state(self.node, p[1] if len(p) > 1 else "latest", 1)
        return wire.data(self.node.state_at(mined).get_code(account))

    def get_storage_at(self, p: list) -> str:
        account = address_arg(p[0], 0)
        slot = int(_hex_body(p[1], 1, "common.Hash") or "0", 16)
        mined = block_for_state(self.node, p[2] if len(p) > 2 else "latest", 2)
        return wire.word(self.node.state_at(mined).get_storage(account, slot))

    def call(self, p: list) -> str:
        call = call_arg(p[0], 0)
        mined = block_for_state(self.node, p[1] if len(p) > 1 else "latest", 1)
        return wire.data(self.node.call(call, mined))

    def estimate_gas(self, p: list) -> str:
        call = call_arg(p[0], 0)
        where = p[1] if len(p) > 1 else "latest"
        mined = block_for_state(self.node, "latest" if where == "pending" else where, 1)
        return wire.qty(self.node.estimate_gas(call, mined))

    # logs

    def get_logs(self, p: list) -> list:
        criteria = p[0]
        if not isinstance(criteria, dict):
            raise invalid_argument(0, f"json: cannot unmarshal {_json_kind(criteria)} into Go value of type filters.FilterCriteria")
        addresses = address_filter(criteria.get("address"))
        topics = topic_filter(criteria.get("topics"))
        node = self.node
        if criteria.get("blockHash") is not None:
            if criteria.get("fromBlock") is not None or criteria.get("toBlock") is not None:
                raise invalid_argument(0, "cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other")
            mined = node.block_by_hash(hash_arg(criteria["blockHash"], 0))
            if mined is None:
                raise server_error("unknown block")
            return node.logs([mined], addresses, topics)
        raw_from = criteria.get("fromBlock") if criteria.get("fromBlock") is not None else "latest"
        raw_to = criteria.get("toBlock") if criteria.get("toBlock") is not None else "latest"
        if raw_from == "pending" or raw_to == "pending":
            raise server_error("pending logs are not supported")
        begin = block_number_arg(node, raw_from, 0)
        end = block_number_arg(node, raw_to, 0)
        if begin > end:
            raise server_error("invalid block range params")
        end = min(end, node.head_number)
        blocks = (node.block_by_number(n) for n in range(begin, end + 1))
        return node.logs(blocks, addresses, topics)

    # fees

    def gas_price(self, p: list) -> str:
        return wire.qty(self.node.suggest_tip() + self.node.head.header.base_fee_per_gas)

    def fee_history(self, p: list) -> dict:
        count = _block_count(p[0])
        newest = block_number_arg(self.node, p[1], 1)
        percentiles = p[2] if len(p) > 2 and p[2] is not None else []
        if not isinstance(percentiles, list):
            raise invalid_argument(2, f"json: cannot unmarshal {_json_kind(percentiles)} into Go value of type []float64")
        return self.node.fee_history(count, newest, [_percentile(v) for v in percentiles])

    # control

    def evm_mine(self, p: list) -> str:
        timestamp = None
        blocks = 1
        if p and p[0] is not None:
            option = p[0]
            if isinstance(option, dict):
                if option.get("timestamp") is not None:
                    timestamp = _int_or_hex(option["timestamp"], 0)
                if option.get("blocks") is not None:
                    blocks = _int_or_hex(option["blocks"], 0)
            else:
                timestamp = _int_or_hex(option, 0)
        self.node.mine_blocks(blocks, timestamp)
        return "0x0"

    def devchain_mine(self, p: list) -> str:
        count = _int_or_hex(p[0], 0) if p and p[0] is not None else 1
        if count < 0 or count > 100_000:
            raise invalid_argument(0, "block count must be between 0 and 100000")
        self.node.mine_blocks(count)
        return wire.qty(self.node.head_number)

    def evm_revert(self, p: list) -> bool:
        return self.node.revert_to_snapshot(_int_or_hex(p[0], 0))

    def set_automine(self, p: list) -> bool:
        self.node.set_automine(bool_arg(p[0], 0))
        return True

    def set_finality_depth(self, p: list) -> bool:
        depth = _int_or_hex(p[0], 0)
        if depth < 0:
            raise invalid_argument(0, "finality depth must not be negative")
        self.node.finality_depth = depth
        return True

    def set_min_tip(self, p: list) -> bool:
        wei = _int_or_hex(p[0], 0)
        if wei < 0 or wei >= 2**256:
            raise invalid_argument(0, "minimum tip must be between 0 and 2^256-1")
        self.node.set_min_tip(wei)
        return True

    def set_mining(self, p: list) -> bool:
        self.node.set_mining(bool_arg(p[0], 0))
        return True

    def pending_transactions(self, p: list) -> list:
        entries = []
        for pooled, executable in self.node.pool_entries():
            tx = pooled.tx
            entry = {
                "hash": wire.data(tx.hash),
                "from": wire.address(pooled.sender),
                "nonce": wire.qty(tx.nonce),
                "type": wire.qty(wire.tx_type(tx)),
                "status": "pending" if executable else "queued",
            }
            if wire.tx_type(tx) == wire.DYNAMIC_FEE_TX:
                entry["maxFeePerGas"] = wire.qty(tx.max_fee_per_gas)
                entry["maxPriorityFeePerGas"] = wire.qty(tx.max_priority_fee_per_gas)
            else:
                entry["gasPrice"] = wire.qty(tx.gas_price)
            entries.append(entry)
        return entries

    def block_wall_times(self, p: list) -> dict:
        first = _block_or_int(self.node, p[0], 0) if len(p) > 0 and p[0] is not None else self.node.head_number
        last = _block_or_int(self.node, p[1], 1) if len(p) > 1 and p[1] is not None else self.node.head_number
        if first > last:
            raise server_error("invalid block range params")
        return {wire.qty(number): round(mined_at, 3) for number, mined_at in self.node.wall_times_between(first, last)}


def _block_or_int(node: ChainNode, value: Any, index: int) -> int:
    """A block tag, hex quantity, or JSON integer."""
    if isinstance(value, str) and value in BLOCK_TAGS:
        return node.resolve_tag(value)
    return _int_or_hex(value, index)


def _int_or_hex(value: Any, index: int) -> int:
    if isinstance(value, bool):
        raise invalid_argument(index, "json: cannot unmarshal bool into Go value of type uint64")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.startswith(("0x", "0X")):
        return quantity(value, index)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise invalid_argument(index, f"json: cannot unmarshal {_json_kind(value)} into Go value of type uint64")


# ---------------------------------------------------------------------- envelopes


def _error_response(request_id: Any, error: RpcError) -> dict:
    return {"jsonrpc": "2.0", "id": request_id, "error": error.to_json()}


class Dispatcher:
    """Turns an HTTP request body into an HTTP response body (None: nothing to send)."""

    def __init__(self, node: ChainNode) -> None:
        self.node = node
        self.methods = Methods(node)

    def handle_body(self, body: bytes) -> Optional[bytes]:
        try:
            message = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return _encode(_error_response(None, RpcError(PARSE_ERROR, "parse error")))
        with self.node.lock:
            if isinstance(message, list):
                if not message:
                    return _encode(_error_response(None, RpcError(INVALID_REQUEST, "empty batch")))
                if len(message) > MAX_BATCH:
                    return _encode(_error_response(None, RpcError(INVALID_REQUEST, "batch too large")))
                answers = [self._answer(item) for item in message]
                answers = [a for a in answers if a is not None]
                return _encode(answers) if answers else None
            answer = self._answer(message)
            return _encode(answer) if answer is not None else None

    def _answer(self, message: Any) -> Optional[dict]:
        if not isinstance(message, dict) or not isinstance(message.get("method"), str):
            request_id = message.get("id") if isinstance(message, dict) else None
            return _error_response(request_id, RpcError(INVALID_REQUEST, "invalid request"))
        is_notification = "id" not in message
        request_id = message.get("id")
        params = message.get("params", [])
        if params is None:
            params = []
        try:
            if not isinstance(params, list):
                raise RpcError(INVALID_PARAMS, "non-array args")
            result = self.methods.dispatch(message["method"], params)
        except RpcError as error:
            response: dict = _error_response(request_id, error)
        except Exception as error:  # a defect here must still answer like a node would
            response = _error_response(request_id, server_error(f"internal error: {error}"))
        else:
            response = {"jsonrpc": "2.0", "id": request_id, "result": result}
        return None if is_notification else response


def _encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode() + b"\n"
