# pragma version ~=0.4.3
"""
@title Development-chain stablecoin with a standard ERC-20 `transfer`
@notice Stands in for USDC on the local development chain: snekmate's
        ERC-20 (with its ownable module), six decimals, and every
        holder in `holders` funded with `amount` base units at deployment.
        `transfer` returns `True`, as the ERC-20 standard says.
"""

from snekmate.auth import ownable
from snekmate.tokens import erc20

initializes: ownable
initializes: erc20[ownable := ownable]

exports: erc20.__interface__


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
