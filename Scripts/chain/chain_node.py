"""The development chain: py-evm (set up through eth-tester) plus a transaction pool,
block production, snapshots for reorgs, finality depth, and the indexes the JSON-RPC
methods need.

py-evm is not thread-safe: every public method must be called with `lock` held.

py-evm's own canonical-chain bookkeeping is not used for reads: after a revert it keeps
number-to-hash and transaction lookups of orphaned blocks. The node keeps its own list
of canonical block hashes and looks blocks and transactions up through it.
"""

from __future__ import annotations

import collections
import itertools
import os
import threading
import time
from dataclasses import dataclass
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
from eth_utils import ValidationError, to_checksum_address

import wire_format as wire
from rpc_errors import EXECUTION_REVERTED, RpcError, server_error

DEFAULT_CHAIN_ID = 1337
BLOCK_GAS_LIMIT = 30_000_000
GENESIS_BASE_FEE = 1_000_000_000
COINBASE = b"\x00" * 20
# geth's legacypool PriceBump (core/txpool/legacypool: DefaultConfig.PriceBump = 10).
PRICE_BUMP_PERCENT = 10
# geth's gas price oracle (eth/gasprice, eth/ethconfig): the price it starts from (the
# miner's default gas price, 1 gwei), blocks sampled, percentile, transactions sampled per
# block, tips it ignores (DefaultIgnorePrice, 2 wei) and its cap (DefaultMaxPrice, 500 gwei).
DEFAULT_TIP = 1_000_000_000
TIP_ORACLE_BLOCKS = 20
TIP_ORACLE_PERCENTILE = 60
TIP_ORACLE_SAMPLES_PER_BLOCK = 3
TIP_ORACLE_IGNORE_PRICE = 2
TIP_ORACLE_MAX_PRICE = 500 * 10**9
# geth's eth_feeHistory limits (eth/ethconfig: FeeHistory max blocks; eth/gasprice/feehistory.go:
# maxQueryLimit for reward percentiles).
MAX_FEE_HISTORY_BLOCKS = 1024
MAX_REWARD_PERCENTILES = 100
# Wall-clock mining times kept for devchain_blockWallTimes (the newest blocks; older ones are dropped).
WALL_TIME_BLOCKS = 100_000
# eth_estimateGas: the plain transfer's gas, the call stipend geth adds to its first guess,
# and the precision at which geth stops searching (internal/ethapi: estimateGasErrorRatio).
TX_GAS = 21_000
CALL_STIPEND = 2300
ESTIMATE_ERROR_RATIO = 0.015

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


def is_price_bump(old: Any, new: Any) -> bool:
    """geth's replacement rule (legacypool list.Add): the new fee cap and tip must both be
    strictly above the old ones and at least old * (100 + PriceBump) / 100, rounded down.
    So exactly +10% is accepted and one wei less is refused; for a tip of 0 any raise to
    1 wei or more passes the percentage, but equal values never do.
    """
    if new.max_fee_per_gas <= old.max_fee_per_gas or new.max_priority_fee_per_gas <= old.max_priority_fee_per_gas:
        return False
    fee_threshold = old.max_fee_per_gas * (100 + PRICE_BUMP_PERCENT) // 100
    tip_threshold = old.max_priority_fee_per_gas * (100 + PRICE_BUMP_PERCENT) // 100
    return new.max_fee_per_gas >= fee_threshold and new.max_priority_fee_per_gas >= tip_threshold


def call_fees(call: dict) -> Tuple[int, int]:
    """(fee cap, tip) of an eth_call/eth_estimateGas argument: a legacy gasPrice is both."""
    if call.get("gasPrice") is not None:
        return call["gasPrice"], call["gasPrice"]
    return call.get("maxFeePerGas", 0), call.get("maxPriorityFeePerGas", 0)


def checksum(address: bytes) -> str:
    """An address as geth's common.Address prints it in messages (EIP-55)."""
    return to_checksum_address(address)


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
        min_tip: int = 0,
    ) -> None:
        self.lock = threading.RLock()
        self.chain_id = chain_id
        self.finality_depth = finality_depth
        self.automine = True
        # False stops all block production but explicit evm_mine / devchain_mine calls:
        # no automine, no interval blocks; sent transactions wait in the pool.
        self.mining = True
        self.min_tip = min_tip
        # Unix time (seconds) at which each block was mined, by block hash, oldest first.
        self.wall_times: "collections.OrderedDict[bytes, float]" = collections.OrderedDict()
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
        self.last_tip = max(DEFAULT_TIP, min_tip)
        self.tip_head: Optional[bytes] = None
        self._record_wall_time(genesis.hash)
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
        # Pool admission floor (geth's txpool.pricelimit, bor's 25 gwei): checked where geth
        # checks it, after the stateless checks and before nonce and balance. For a legacy
        # transaction the tip cap is its gas price.
        if tx.max_priority_fee_per_gas < self.min_tip:
            raise server_error(
                f"transaction underpriced: gas tip cap {tx.max_priority_fee_per_gas}, minimum needed {self.min_tip}"
            )
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
            if not is_price_bump(replaced.tx, tx):
                raise server_error("replacement transaction underpriced")
            del self.pool[replaced.tx.hash]
        self.pool[tx.hash] = PooledTransaction(tx, bytes(raw), sender, next(self.pool_seq))
        if self.automine and self.mining:
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

    def pool_entries(self) -> List[Tuple[PooledTransaction, bool]]:
        """Every pool transaction in arrival order, with whether it is executable now
        (its nonce follows the sender's state nonce without a gap; geth's "pending")
        rather than waiting behind a gap (geth's "queued")."""
        state = self.state_at(self.head)
        by_sender: Dict[bytes, set] = {}
        for pooled in self.pool.values():
            by_sender.setdefault(pooled.sender, set()).add(pooled.tx.nonce)
        executable_below: Dict[bytes, int] = {}
        for sender, nonces in by_sender.items():
            nonce = state.get_nonce(sender)
            while nonce in nonces:
                nonce += 1
            executable_below[sender] = nonce
        ordered = sorted(self.pool.values(), key=lambda p: p.seq)
        return [(p, p.tx.nonce < executable_below[p.sender]) for p in ordered]

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
        self._record_wall_time(block.hash)
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
        if enabled and self.mining:
            self._automine()

    def set_mining(self, enabled: bool) -> None:
        """Stop or resume block production. Resuming with automine on mines what waits."""
        self.mining = enabled
        if enabled and self.automine:
            self._automine()

    def set_min_tip(self, wei: int) -> None:
        """A new admission floor; the tip oracle starts over from it (as bor's starts from its floor)."""
        self.min_tip = wei
        self.last_tip = max(DEFAULT_TIP, wei)
        self.tip_head = None

    # ------------------------------------------------------------------ wall-clock times

    def _record_wall_time(self, block_hash: bytes) -> None:
        self.wall_times[block_hash] = time.time()
        while len(self.wall_times) > WALL_TIME_BLOCKS:
            self.wall_times.popitem(last=False)

    def wall_times_between(self, first: int, last: int) -> List[Tuple[int, float]]:
        """(number, unix seconds) of the canonical blocks first..last still remembered."""
        first = max(first, 0, self.head_number - WALL_TIME_BLOCKS + 1)
        last = min(last, self.head_number)
        found = []
        for number in range(first, last + 1):
            mined_at = self.wall_times.get(self.canonical[number])
            if mined_at is not None:
                found.append((number, mined_at))
        return found

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
        """eth_estimateGas as geth computes it (eth/gasestimator, geth 1.14 and later).

        The upper bound is the call's gas when at least 21000, else the block gas limit,
        lowered to what the sender can pay when a fee cap (`gasPrice` or `maxFeePerGas`)
        is given. A plain transfer to an account without code answers 21000 when that
        suffices. Otherwise one run at the bound, then a binary search that favours the
        low side and stops within 1.5% (geth's estimateGasErrorRatio), so the answer may
        lie up to 1.5% above the least gas that works.
        """
        header = mined.header
        hi = call["gas"] if call.get("gas", 0) >= TX_GAS else header.gas_limit
        sender = call.get("from") or b"\x00" * 20
        value = call.get("value", 0)
        fee_cap, tip = call_fees(call)
        vm = self.chain.get_vm(at_header=header)
        with vm.in_costless_state() as state:
            balance = state.get_balance(sender)
            if fee_cap:
                if value >= balance:
                    raise server_error("insufficient funds for transfer")
                hi = min(hi, (balance - value) // fee_cap)

            def problem(gas: int) -> Optional[str]:
                """What geth's state transition refuses before running (not a lack of gas)."""
                if fee_cap or tip:
                    if tip > fee_cap:
                        return (
                            "max priority fee per gas higher than max fee per gas: address "
                            f"{checksum(sender)}, maxPriorityFeePerGas: {tip}, maxFeePerGas: {fee_cap}"
                        )
                    if fee_cap < header.base_fee_per_gas:
                        return (
                            "max fee per gas less than block base fee: address "
                            f"{checksum(sender)}, maxFeePerGas: {fee_cap}, baseFee: {header.base_fee_per_gas}"
                        )
                if balance < gas * fee_cap + value:
                    return (
                        "insufficient funds for gas * price + value: address "
                        f"{checksum(sender)} have {balance} want {gas * fee_cap + value}"
                    )
                return None

            def attempt(gas: int) -> Tuple[bool, Any]:
                """(failed, computation); computation None when the gas is below the intrinsic cost."""
                reason = problem(gas)
                if reason is not None:
                    raise server_error(f"failed with {gas} gas: {reason}")
                message = self._message(state, vm, call, gas)
                if gas < message.intrinsic_gas:
                    return True, None
                snapshot = state.snapshot()
                try:
                    computation = state.apply_transaction(message)
                except ValidationError as error:
                    raise server_error(f"failed with {gas} gas: {error}")
                finally:
                    state.revert(snapshot)
                return computation.is_error, computation

            if not call.get("data") and call.get("to") and not state.get_code(call["to"]):
                try:
                    if not attempt(TX_GAS)[0]:
                        return TX_GAS
                except RpcError:
                    pass
            failed, first = attempt(hi)
            if failed:
                if first is not None and not isinstance(first.error, OutOfGas):
                    if isinstance(first.error, Revert):
                        raise revert_error(first.output)
                    raise server_error(vm_error_message(first.error))
                raise server_error(f"gas required exceeds allowance ({hi})")
            intrinsic = self._message(state, vm, call, hi).intrinsic_gas
            peak = intrinsic + first.get_gas_used()
            refund = min(first.get_gas_refund(), peak // 5)  # EIP-3529 caps refunds at a fifth
            lo = peak - refund - 1
            optimistic = (peak + CALL_STIPEND) * 64 // 63
            if optimistic < hi:
                if attempt(optimistic)[0]:
                    lo = optimistic
                else:
                    hi = optimistic
            while lo + 1 < hi:
                if (hi - lo) / hi < ESTIMATE_ERROR_RATIO:
                    break
                middle = min(lo + (hi - lo) // 2, lo * 2)
                if attempt(middle)[0]:
                    lo = middle
                else:
                    hi = middle
            return hi

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
        """geth's gas price oracle (eth/gasprice SuggestTipCap), computed in order.

        The 60th percentile of the three cheapest tips of each of the last 20 blocks
        (genesis excluded). A block without a usable tip contributes the last answer,
        and then one more older block is sampled, up to 40 blocks in all. Tips below the
        ignore price are skipped: 2 wei as in geth, or the admission floor when one is
        set, as bor skips tips below its 25 gwei floor (PIP-35). Capped at 500 gwei.
        The answer is kept until the head changes.
        """
        head = self.head
        if self.tip_head == head.hash:
            return self.last_tip
        ignore_under = max(TIP_ORACLE_IGNORE_PRICE, self.min_tip)
        waiting = collections.deque(range(self.head_number, max(0, self.head_number - TIP_ORACLE_BLOCKS), -1))
        next_older = self.head_number - len(waiting)
        samples: List[int] = []
        while waiting:
            values = self._block_tips(self.block_by_number(waiting.popleft()), ignore_under) or [self.last_tip]
            if len(values) == 1 and len(samples) + 1 + len(waiting) < 2 * TIP_ORACLE_BLOCKS and next_older > 0:
                waiting.append(next_older)
                next_older -= 1
            samples.extend(values)
        price = self.last_tip
        if samples:
            samples.sort()
            price = samples[(len(samples) - 1) * TIP_ORACLE_PERCENTILE // 100]
        self.last_tip = min(price, TIP_ORACLE_MAX_PRICE)
        self.tip_head = head.hash
        return self.last_tip

    @staticmethod
    def _block_tips(mined: wire.MinedBlock, ignore_under: int) -> List[int]:
        """The cheapest tips of a block (at most three), not counting the block producer's own transactions."""
        base_fee = mined.header.base_fee_per_gas
        tips = sorted(
            (wire.effective_tip(tx, base_fee), sender)
            for tx, sender in zip(mined.block.transactions, mined.senders)
        )
        chosen = [tip for tip, sender in tips if tip >= ignore_under and sender != mined.header.coinbase]
        return chosen[:TIP_ORACLE_SAMPLES_PER_BLOCK]

    def fee_history(self, block_count: int, newest: int, percentiles: Sequence[float]) -> dict:
        """eth_feeHistory as geth answers it (eth/gasprice/feehistory.go and ethapi's result type)."""
        if block_count < 1:
            # geth returns before looking at anything else; its nil slice prints as null.
            return {"oldestBlock": wire.qty(0), "gasUsedRatio": None}
        if len(percentiles) > MAX_REWARD_PERCENTILES:
            raise server_error(f"invalid reward percentile: over the query limit {MAX_REWARD_PERCENTILES}")
        for i, percentile in enumerate(percentiles):
            if percentile < 0 or percentile > 100:
                raise server_error(f"invalid reward percentile: {percentile:f}")
            if i > 0 and percentile <= percentiles[i - 1]:
                raise server_error(
                    f"invalid reward percentile: #{i - 1}:{percentiles[i - 1]:f} >= #{i}:{percentile:f}"
                )
        if newest > self.head_number:
            raise server_error(f"request beyond head block: requested {newest}, head {self.head_number}")
        count = min(block_count, MAX_FEE_HISTORY_BLOCKS, newest + 1)
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
        # float64 arithmetic as in geth, so thresholds round the same way.
        threshold = int(float(mined.header.gas_used) * percentile / 100)
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
