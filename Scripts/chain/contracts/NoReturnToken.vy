# pragma version ~=0.4.3
"""
@title Development-chain stablecoin whose `transfer` returns nothing
@notice Stands in for Ethereum mainnet USDT on the local development chain:
        snekmate's ERC-20 (with its ownable module), six decimals, and every
        holder in `holders` funded with `amount` base units at deployment.
        Its `transfer` has no return value, so a successful call answers
        with empty return data, exactly like mainnet USDT. Every other
        function is snekmate's.
"""

from snekmate.auth import ownable
from snekmate.tokens import erc20

initializes: ownable
initializes: erc20[ownable := ownable]

exports: (
    erc20.owner,
    erc20.eip712Domain,
    erc20.name,
    erc20.symbol,
    erc20.decimals,
    erc20.balanceOf,
    erc20.allowance,
    erc20.totalSupply,
    erc20.is_minter,
    erc20.nonces,
    erc20.approve,
    erc20.transferFrom,
    erc20.burn,
    erc20.burn_from,
    erc20.mint,
    erc20.set_minter,
    erc20.permit,
    erc20.DOMAIN_SEPARATOR,
    erc20.transfer_ownership,
    erc20.renounce_ownership,
)


@deploy
def __init__(
    name_: String[25],
    symbol_: String[5],
    decimals_: uint8,
    name_eip712_: String[50],
    version_eip712_: String[20],
    holders: DynArray[address, 128],
    amount: uint256,
):
    ownable.__init__()
    erc20.__init__(name_, symbol_, decimals_, name_eip712_, version_eip712_)
    for holder: address in holders:
        erc20._mint(holder, amount)


@external
def transfer(to: address, amount: uint256):
    """
    @dev Moves `amount` tokens from the caller to `to` and returns
         no value (mainnet USDT's signature). Reverts on failure.
    """
    erc20._transfer(msg.sender, to, amount)
