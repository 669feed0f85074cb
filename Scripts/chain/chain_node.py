"""The development chain: py-evm (set up through eth-tester) plus a transaction pool,
block production, snapshots for reorgs, finality depth, and the indexes the JSON-RPC
methods need.

py-evm is not thread-safe: every public method must be called with `lock` held.

py-evm's own canonical-chain bookkeeping is not used for reads: after a revert it keeps
number-to-hash and transaction lookups of orphaned blocks. The node keeps its own list
of canonical block hashes and looks blocks and transactions up through it.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from eth.constants import GENESIS_PARENT_HASH
from eth.exceptions import (
    ContractCreationCollision,
    InsufficientFunds,
    InvalidInstruction,
    InvalidJumpDestination,
    OutOfBoundsRead,
    OutOfGas,
    Revert,
    StackDepthLimit,
    WriteProtection,
)
from eth.vm.spoof import SpoofTransaction
from eth_tester import PyEVMBackend
from eth_utils import ValidationError

import wire_format as wire
from rpc_errors import EXECUTION_REVERTED, RpcError, server_error

DEFAULT_CHAIN_ID = 1337
BLOCK_GAS_LIMIT = 30_000_000
GENESIS_BASE_FEE = 1_000_000_000
COINBASE = b"\x00" * 20
PRICE_BUMP_PERCENT = 10
DEFAULT_TIP = 1_000_000_000
TIP_ORACLE_BLOCKS = 20
TIP_ORACLE_PERCENTILE = 60
TIP_ORACLE_SAMPLES_PER_BLOCK = 3
MAX_FEE_HISTORY_BLOCKS = 1024

ERROR_SELECTOR = bytes.fromhex("08c379a0")
PANIC_SELECTOR = bytes.fromhex("4e487b71")
PANIC_REASONS = {
    0x00: "generic panic",
    0x01: "assert(false)",
    0x11: "arithmetic underflow or overflow",
    0x12: "division or modulo by zero",
    0x21: "enum overflow",
    0x22: "invalid encoded storage byte array accessed",
    0x31: "out-of-bounds array access; popping on an empty array",
    0x32: "out-of-bounds access of an array or bytesN",
    0x41: "out of memory",
    0x51: "uninitialized function",
}


@dataclass
class PooledTransaction:
    tx: Any
    raw: bytes
    sender: bytes
    seq: int


@dataclass
class Snapshot:
    block_hash: bytes


def revert_reason(output: bytes) -> Optional[str]:
    """The reason geth prints after "execution reverted: ", when the revert data has one."""
    if output[:4] == ERROR_SELECTOR and len(output) >= 68:
        try:
            offset = int.from_bytes(output[4:36], "big")
            length = int.from_bytes(output[4 + offset : 36 + offset], "big")
            raw = output[36 + offset : 36 + offset + length]
            if len(raw) == length:
                return raw.decode("utf-8")
        except (UnicodeDecodeError, ValueError, OverflowError):
            return None
    if output[:4] == PANIC_SELECTOR and len(output) == 36:
        code = int.from_bytes(output[4:], "big")
        return PANIC_REASONS.get(code, f"unknown panic code: {code:#x}")
    return None


def revert_error(output: bytes) -> RpcError:
    reason = revert_reason(output)
    message = "execution reverted" if reason is None else f"execution reverted: {reason}"
    return RpcError(EXECUTION_REVERTED, message, wire.data(output))


def vm_error_message(error: Exception) -> str:
    """geth's wording for an EVM failure other than a revert."""
    if isinstance(error, OutOfGas):
        return "out of gas"
    if isinstance(error, InvalidInstruction):
        return "invalid opcode"
    if isinstance(error, InvalidJumpDestination):
        return "invalid jump destination"
    if isinstance(error, StackDepthLimit):
        return "max call depth exceeded"
    if isinstance(error, InsufficientFunds):
        return "insufficient balance for transfer"
    if isinstance(error, WriteProtection):
        return "write protection"
    if isinstance(error, OutOfBoundsRead):
        return "return data out of bounds"
    if isinstance(error, ContractCreationCollision):
        return "contract address collision"
    return str(error) or type(error).__name__


class ChainNode:
    """A single-node chain with automine, interval mining, snapshots and a transaction pool."""

    def __init__(
        self,
        funded_accounts: Sequence[bytes],
        balance_wei: int,
        chain_id: int = DEFAULT_CHAIN_ID,
        finality_depth: int = 0,
    ) -> None:
        self.lock = threading.RLock()
        self.chain_id = chain_id
        self.finality_depth = finality_depth
        self.automine = True
        genesis_state = {
            account: {"balance": balance_wei, "nonce": 0, "code": b"", "storage": {}}
            for account in funded_accounts
        }
        genesis_params = PyEVMBackend.generate_genesis_params(
            overrides={"gas_limit": BLOCK_GAS_LIMIT, "timestamp": int(time.time()), "coinbase": COINBASE}
        )
        backend = PyEVMBackend(genesis_parameters=genesis_params, genesis_state=genesis_state)
        self.chain = backend.chain
        # eth-tester fixes its chain id on a chain class it creates for each backend;
        # that class belongs to this node alone, so the configured id goes there. The
        # VM reads it for EIP-155 and typed-transaction signatures and for CHAINID.
        type(self.chain).chain_id = chain_id

        genesis = self.chain.get_canonical_block_by_number(0)
        self.blocks: Dict[bytes, wire.MinedBlock] = {genesis.hash: wire.MinedBlock(genesis, (), ())}
        self.canonical: List[bytes] = [genesis.hash]
        self.tx_blocks: Dict[bytes, List[Tuple[bytes, int]]] = {}
        self.pool: Dict[bytes, PooledTransaction] = {}
        self.pool_seq = itertools.count()
        self.snapshots: Dict[int, Snapshot] = {}
        self.next_snapshot_id = 1
        self.last_tip = DEFAULT_TIP
        self.chain.header = self.chain.create_header_from_parent(genesis.header, coinbase=COINBASE)

    # ------------------------------------------------------------------ heads and lookups

    @property
    def head_number(self) -> int:
        return len(self.canonical) - 1

    @property
    def head(self) -> wire.MinedBlock:
        return self.blocks[self.canonical[-1]]

    def finalized_number(self) -> int:
        return max(0, self.head_number - self.finality_depth)

    def block_by_number(self, number: int) -> Optional[wire.MinedBlock]:
        if 0 <= number <= self.head_number:
            return self.blocks[self.canonical[number]]
        return None

    def block_by_hash(self, block_hash: bytes) -> Optional[wire.MinedBlock]:
        """The block with this hash if it is on the canonical chain; orphans are unknown."""
        mined = self.blocks.get(block_hash)
        if mined is None or not self.is_canonical(mined):
            return None
        return mined

    def is_canonical(self, mined: wire.MinedBlock) -> bool:
        number = mined.number
        return number <= self.head_number and self.canonical[number] == mined.hash

    def resolve_tag(self, tag: str) -> int:
        if tag in ("latest", "pending"):
            return self.head_number
        if tag in ("finalized", "safe"):
            return self.finalized_number()
        if tag == "earliest":
            return 0
        raise ValueError(tag)

    def find_transaction(self, tx_hash: bytes) -> Optional[Tuple[wire.MinedBlock, int]]:
        for block_hash, index in reversed(self.tx_blocks.get(tx_hash, [])):
            mined = self.blocks[block_hash]
            if self.is_canonical(mined):
                return mined, index
        return None

    # ------------------------------------------------------------------ state

    def state_at(self, mined: wire.MinedBlock) -> Any:
        return self.chain.get_vm(at_header=mined.header).state

    def pending_nonce(self, account: bytes) -> int:
        nonce = self.state_at(self.head).get_nonce(account)
        queued = {p.tx.nonce for p in self.pool.values() if p.sender == account}
        while nonce in queued:
            nonce += 1
        return nonce

    def next_base_fee(self) -> int:
        return self.chain.header.base_fee_per_gas

    # ------------------------------------------------------------------ transactions

    def send_raw_transaction(self, raw: bytes) -> bytes:
        tx = self._decode(raw)
        kind = wire.tx_type(tx)
        if kind == wire.LEGACY_TX and tx.chain_id is None:
            raise server_error("only replay-protected (EIP-155) transactions allowed over RPC")
        if tx.hash in self.pool:
            raise server_error("already known")
        if kind not in (wire.LEGACY_TX, wire.ACCESS_LIST_TX, wire.DYNAMIC_FEE_TX):
            raise server_error("transaction type not supported")
        if tx.gas > BLOCK_GAS_LIMIT:
            raise server_error("exceeds block gas limit")
        if tx.max_priority_fee_per_gas > tx.max_fee_per_gas:
            raise server_error("max priority fee per gas higher than max fee per gas")
        if tx.chain_id != self.chain_id:
            raise server_error(
                f"invalid sender: invalid chain id for signer: have {tx.chain_id} want {self.chain_id}"
            )
        try:
            tx.check_signature_validity()
            sender = tx.sender
        except Exception:
            raise server_error("invalid sender: invalid transaction v, r, s values")
        if tx.gas < tx.intrinsic_gas:
            raise server_error(f"intrinsic gas too low: gas {tx.gas}, minimum needed {tx.intrinsic_gas}")
        state = self.state_at(self.head)
        next_nonce = state.get_nonce(sender)
        if tx.nonce < next_nonce:
            raise server_error(f"nonce too low: next nonce {next_nonce}, tx nonce {tx.nonce}")
        balance = state.get_balance(sender)
        cost = tx.gas * tx.max_fee_per_gas + tx.value
        if balance < cost:
            raise server_error(
                "insufficient funds for gas * price + value: "
                f"balance {balance}, tx cost {cost}, overshot {cost - balance}"
            )
        base_fee = self.next_base_fee()
        if tx.max_fee_per_gas < base_fee:
            raise server_error(
                "max fee per gas less than block base fee: "
                f"address {wire.address(sender)}, maxFeePerGas: {tx.max_fee_per_gas}, baseFee: {base_fee}"
            )
        replaced = next(
            (p for p in self.pool.values() if p.sender == sender and p.tx.nonce == tx.nonce),
            None,
        )
        if replaced is not None:
            old = replaced.tx
            fee_threshold = old.max_fee_per_gas * (100 + PRICE_BUMP_PERCENT) // 100
            tip_threshold = old.max_priority_fee_per_gas * (100 + PRICE_BUMP_PERCENT) // 100
            if (
                tx.max_fee_per_gas <= old.max_fee_per_gas
                or tx.max_priority_fee_per_gas <= old.max_priority_fee_per_gas
                or tx.max_fee_per_gas < fee_threshold
                or tx.max_priority_fee_per_gas < tip_threshold
            ):
                raise server_error("replacement transaction underpriced")
            del self.pool[old.hash]
        self.pool[tx.hash] = PooledTransaction(tx, bytes(raw), sender, next(self.pool_seq))
        if self.automine:
            self._automine()
        return tx.hash

    def _decode(self, raw: bytes) -> Any:
        if len(raw) == 0 or (raw[0] <= 0x7F and len(raw) <= 1):
            raise server_error("typed transaction too short")
        if raw[0] <= 0x7F and raw[0] not in (wire.ACCESS_LIST_TX, wire.DYNAMIC_FEE_TX):
            raise server_error("transaction type not supported")
        body = raw if raw[0] > 0x7F else raw[1:]
        problem = rlp_list_problem(body)
        if problem is not None:
            raise server_error(f"rlp: {problem}")
        try:
            return self.chain.get_vm().get_transaction_builder().decode(bytes(raw))
        except Exception as error:
            raise server_error(f"rlp: {error}")

    def pooled(self, tx_hash: bytes) -> Optional[PooledTransaction]:
        return self.pool.get(tx_hash)

    # ------------------------------------------------------------------ block production

    def _automine(self) -> None:
        """Each executable pool transaction in a block of its own, like Hardhat and anvil."""
        while self.mine(max_transactions=1, only_with_transactions=True) is not None:
            pass

    def mine(
        self,
        timestamp: Optional[int] = None,
        max_transactions: Optional[int] = None,
        only_with_transactions: bool = False,
    ) -> Optional[wire.MinedBlock]:
        """Mine one block on the head with the pool's executable transactions, oldest first.

        With `only_with_transactions`, nothing is mined (and None returned) when no
        transaction could be included.
        """
        parent = self.head.header
        if timestamp is None:
            timestamp = max(int(time.time()), parent.timestamp + 1)
        elif timestamp <= parent.timestamp:
            raise server_error(
                f"timestamp {timestamp} is lower than or equal to previous block's timestamp {parent.timestamp}"
            )
        self.chain.header = self.chain.create_header_from_parent(parent, timestamp=timestamp, coinbase=COINBASE)
        included: List[PooledTransaction] = []
        while max_transactions is None or len(included) < max_transactions:
            ready = self._pending_order()
            if not ready:
                break
            for pooled in ready:
                if max_transactions is not None and len(included) >= max_transactions:
                    break
                try:
                    self.chain.apply_transaction(pooled.tx)
                except ValidationError:
                    # No longer valid (for example, an earlier transaction spent the
                    # balance): drop it, as a node's pool would.
                    del self.pool[pooled.tx.hash]
                    continue
                included.append(pooled)
        if only_with_transactions and not included:
            self.chain.header = self.chain.create_header_from_parent(parent, coinbase=COINBASE)
            return None
        block = self.chain.mine_block(mix_hash=os.urandom(32))
        receipts = block.get_receipts(self.chain.chaindb)
        mined = wire.MinedBlock(block, receipts, [p.sender for p in included])
        self.blocks[block.hash] = mined
        self.canonical.append(block.hash)
        for index, pooled in enumerate(included):
            self.tx_blocks.setdefault(pooled.tx.hash, []).append((block.hash, index))
            self.pool.pop(pooled.tx.hash, None)
        self._drop_stale_pool_entries()
        return mined

    def _pending_order(self) -> List[PooledTransaction]:
        """Pool transactions whose nonce is next for their sender in the pending block, oldest first."""
        state = self.chain.get_vm(self.chain.header).state
        nonces: Dict[bytes, int] = {}
        order = []
        for pooled in sorted(self.pool.values(), key=lambda p: p.seq):
            if pooled.sender not in nonces:
                nonces[pooled.sender] = state.get_nonce(pooled.sender)
            if pooled.tx.nonce == nonces[pooled.sender]:
                order.append(pooled)
        return order

    def _drop_stale_pool_entries(self) -> None:
        state = self.state_at(self.head)
        for tx_hash, pooled in list(self.pool.items()):
            if pooled.tx.nonce < state.get_nonce(pooled.sender):
                del self.pool[tx_hash]

    def mine_blocks(self, count: int, timestamp: Optional[int] = None) -> None:
        for i in range(count):
            self.mine(timestamp=timestamp if i == 0 else None)

    def set_automine(self, enabled: bool) -> None:
        self.automine = enabled
        if enabled:
            self._automine()

    # ------------------------------------------------------------------ snapshots

    def take_snapshot(self) -> int:
        snapshot_id = self.next_snapshot_id
        self.next_snapshot_id += 1
        self.snapshots[snapshot_id] = Snapshot(self.canonical[-1])
        return snapshot_id

    def revert_to_snapshot(self, snapshot_id: int) -> bool:
        """Make the snapshot's head the head again. Blocks above it become orphans.

        The snapshot and every later one are used up; the pool is emptied.
        """
        snapshot = self.snapshots.get(snapshot_id)
        if snapshot is None:
            return False
        target = self.blocks[snapshot.block_hash]
        chaindb = self.chain.chaindb
        chaindb._set_as_canonical_chain_head(chaindb.db, target.header, GENESIS_PARENT_HASH)
        del self.canonical[target.number + 1 :]
        self.chain.header = self.chain.create_header_from_parent(target.header, coinbase=COINBASE)
        self.pool.clear()
        for later in [s for s in self.snapshots if s >= snapshot_id]:
            del self.snapshots[later]
        return True

    # ------------------------------------------------------------------ execution

    def _message(self, state: Any, vm: Any, call: dict, gas: int) -> Any:
        sender = call.get("from") or b"\x00" * 20
        unsigned = vm.create_unsigned_transaction(
            nonce=state.get_nonce(sender),
            gas_price=0,
            gas=gas,
            to=call.get("to") or b"",
            value=call.get("value", 0),
            data=call.get("data", b""),
        )
        return SpoofTransaction(unsigned, from_=sender)

    def call(self, call: dict, mined: wire.MinedBlock) -> bytes:
        """eth_call: run on the state after `mined`, without fees; nothing is kept but the output."""
        gas = min(call.get("gas") or BLOCK_GAS_LIMIT, BLOCK_GAS_LIMIT)
        vm = self.chain.get_vm(at_header=mined.header)
        with vm.in_costless_state() as state:
            message = self._message(state, vm, call, gas)
            try:
                computation = state.apply_transaction(message)
            except ValidationError as error:
                raise server_error(self._validation_message(error, call, state))
        if computation.is_error:
            if isinstance(computation.error, Revert):
                raise revert_error(computation.output)
            raise server_error(vm_error_message(computation.error))
        return computation.output

    def estimate_gas(self, call: dict, mined: wire.MinedBlock) -> int:
        """The least gas with which the call succeeds, found by binary search like geth's."""
        cap = min(call.get("gas") or BLOCK_GAS_LIMIT, BLOCK_GAS_LIMIT)
        vm = self.chain.get_vm(at_header=mined.header)
        with vm.in_costless_state() as state:

            def attempt(gas: int) -> Any:
                snapshot = state.snapshot()
                try:
                    return state.apply_transaction(self._message(state, vm, call, gas))
                finally:
                    state.revert(snapshot)

            def fails(gas: int) -> bool:
                try:
                    return attempt(gas).is_error
                except ValidationError:
                    return True

            probe = self._message(state, vm, call, cap)
            intrinsic = probe.intrinsic_gas
            if cap < intrinsic:
                raise server_error(f"intrinsic gas too low: gas {cap}, minimum needed {intrinsic}")
            try:
                first = attempt(cap)
            except ValidationError as error:
                if call.get("value", 0) > state.get_balance(probe.sender):
                    raise server_error("insufficient funds for transfer")
                raise server_error(str(error))
            if first.is_error:
                if isinstance(first.error, Revert):
                    raise revert_error(first.output)
                if isinstance(first.error, OutOfGas):
                    raise server_error(f"gas required exceeds allowance ({cap})")
                raise server_error(vm_error_message(first.error))
            used = intrinsic + first.get_gas_used()
            low = max(intrinsic, used) - 1
            high = cap
            optimistic = (used + first.get_gas_refund() + 2300) * 64 // 63
            if optimistic < high and not fails(optimistic):
                high = optimistic
            while high - low > 1:
                middle = (low + high) // 2
                if fails(middle):
                    low = middle
                else:
                    high = middle
            return high

    @staticmethod
    def _validation_message(error: Exception, call: dict, state: Any) -> str:
        sender = call.get("from") or b"\x00" * 20
        value = call.get("value", 0)
        balance = state.get_balance(sender)
        if value > balance:
            return (
                "insufficient funds for gas * price + value: "
                f"address {wire.address(sender)} have {balance} want {value}"
            )
        text = str(error)
        if "intrinsic" in text.lower():
            return "intrinsic gas too low"
        return text

    # ------------------------------------------------------------------ logs

    def logs(
        self,
        blocks: Iterable[wire.MinedBlock],
        addresses: Optional[set],
        topics: Sequence[Optional[set]],
    ) -> List[dict]:
        result = []
        for mined in blocks:
            log_index = 0
            for tx_index, receipt in enumerate(mined.receipts):
                for log in receipt.logs:
                    if _log_matches(log, addresses, topics):
                        result.append(wire.log_json(mined, tx_index, log_index, log))
                    log_index += 1
        return result

    # ------------------------------------------------------------------ fees

    def suggest_tip(self) -> int:
        """geth's gas price oracle: 60th percentile of the cheapest tips of recent blocks."""
        samples = []
        for number in range(max(1, self.head_number - TIP_ORACLE_BLOCKS + 1), self.head_number + 1):
            mined = self.block_by_number(number)
            base_fee = mined.header.base_fee_per_gas
            tips = sorted(
                wire.effective_tip(tx, base_fee)
                for tx, sender in zip(mined.block.transactions, mined.senders)
                if sender != mined.header.coinbase
            )
            samples.extend(tips[:TIP_ORACLE_SAMPLES_PER_BLOCK])
        if samples:
            samples.sort()
            self.last_tip = samples[(len(samples) - 1) * TIP_ORACLE_PERCENTILE // 100]
        return self.last_tip

    def fee_history(self, block_count: int, newest: int, percentiles: Sequence[float]) -> dict:
        if newest > self.head_number:
            raise server_error(f"request beyond head block: requested {newest}, head {self.head_number}")
        for i, percentile in enumerate(percentiles):
            if percentile < 0 or percentile > 100:
                raise server_error(f"invalid reward percentile: {percentile:f}")
            if i > 0 and percentile <= percentiles[i - 1]:
                raise server_error(
                    f"invalid reward percentile: #{i - 1}:{percentiles[i - 1]:f} >= #{i}:{percentile:f}"
                )
        count = min(block_count, MAX_FEE_HISTORY_BLOCKS, newest + 1)
        if count == 0:
            return {"oldestBlock": wire.qty(0), "baseFeePerGas": [], "gasUsedRatio": []}
        oldest = newest - count + 1
        base_fees, ratios, blob_fees, blob_ratios, rewards = [], [], [], [], []
        for number in range(oldest, newest + 1):
            mined = self.block_by_number(number)
            header = mined.header
            base_fees.append(wire.qty(header.base_fee_per_gas))
            ratios.append(_ratio(header.gas_used, header.gas_limit))
            blob_fees.append(wire.qty(wire.blob_base_fee(header.excess_blob_gas)))
            blob_ratios.append(_ratio(header.blob_gas_used, wire.MAX_BLOB_GAS_PER_BLOCK))
            if percentiles:
                rewards.append([wire.qty(r) for r in _block_rewards(mined, percentiles)])
        newest_header = self.block_by_number(newest).header
        following = self.chain.create_header_from_parent(newest_header, coinbase=COINBASE)
        base_fees.append(wire.qty(following.base_fee_per_gas))
        blob_fees.append(wire.qty(wire.blob_base_fee(following.excess_blob_gas)))
        result: dict = {"oldestBlock": wire.qty(oldest)}
        if percentiles:
            result["reward"] = rewards
        result.update(
            {
                "baseFeePerGas": base_fees,
                "gasUsedRatio": ratios,
                "baseFeePerBlobGas": blob_fees,
                "blobGasUsedRatio": blob_ratios,
            }
        )
        return result


def _ratio(numerator: int, denominator: int) -> Any:
    """A JSON number like Go prints a float64: integral values without a fraction."""
    value = numerator / denominator
    return int(value) if value == int(value) else value


def _block_rewards(mined: wire.MinedBlock, percentiles: Sequence[float]) -> List[int]:
    """geth's reward percentiles: tips sorted ascending, weighted by the gas each transaction used."""
    transactions = mined.block.transactions
    if not transactions:
        return [0 for _ in percentiles]
    base_fee = mined.header.base_fee_per_gas
    sorter = sorted(
        ((wire.effective_tip(tx, base_fee), mined.gas_used_by(i)) for i, tx in enumerate(transactions)),
        key=lambda pair: pair[0],
    )
    rewards = []
    index = 0
    cumulative = sorter[0][1]
    for percentile in percentiles:
        threshold = int(Fraction(mined.header.gas_used) * Fraction(percentile) / 100)
        while cumulative < threshold and index < len(sorter) - 1:
            index += 1
            cumulative += sorter[index][1]
        rewards.append(sorter[index][0])
    return rewards


def _log_matches(log: Any, addresses: Optional[set], topics: Sequence[Optional[set]]) -> bool:
    if addresses and bytes(log.address) not in addresses:
        return False
    if len(topics) > len(log.topics):
        return False
    for position, wanted in enumerate(topics):
        if wanted and log.topics[position] not in wanted:
            return False
    return True


def rlp_list_problem(payload: bytes) -> Optional[str]:
    """geth's wording when the outer RLP list of a transaction does not fit the input."""
    if not payload:
        return "value size exceeds available input length"
    prefix = payload[0]
    if prefix < 0xC0:
        return "expected input list for types.LegacyTx" if prefix > 0x7F else "expected input list"
    if prefix <= 0xF7:
        header, size = 1, prefix - 0xC0
    else:
        length_of_length = prefix - 0xF7
        if len(payload) < 1 + length_of_length:
            return "value size exceeds available input length"
        header = 1 + length_of_length
        size = int.from_bytes(payload[1:header], "big")
    if header + size > len(payload):
        return "value size exceeds available input length"
    if header + size < len(payload):
        return "input contains more than one value"
    return None
