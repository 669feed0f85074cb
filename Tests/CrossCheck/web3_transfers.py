"""Independent listing of ERC-20 transfers with web3.py, in the format of
`gateway chain transfers` (one JSON object per line, keys sorted, chain order).

    web3_transfers.py --rpc URL --token ADDRESS --from-block N --to-block M [--to ADDRESS]...
"""
import argparse
import json
from pathlib import Path

from web3 import Web3

ABI = json.loads((Path(__file__).resolve().parents[2] / "ABIs" / "ERC20.json").read_text())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rpc", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--from-block", type=int, required=True)
    parser.add_argument("--to-block", type=int, required=True)
    parser.add_argument("--to", action="append", default=[])
    args = parser.parse_args()

    w3 = Web3(Web3.HTTPProvider(args.rpc))
    token = w3.eth.contract(address=Web3.to_checksum_address(args.token), abi=ABI)
    argument_filters = {"to": [Web3.to_checksum_address(a) for a in args.to]} if args.to else None
    events = token.events.Transfer.get_logs(
        from_block=args.from_block, to_block=args.to_block, argument_filters=argument_filters
    )
    for event in sorted(events, key=lambda e: (e["blockNumber"], e["logIndex"])):
        print(json.dumps({
            "amount": str(event["args"]["value"]),
            "blockHash": "0x" + event["blockHash"].hex().removeprefix("0x"),
            "blockNumber": event["blockNumber"],
            "from": event["args"]["from"],
            "logIndex": event["logIndex"],
            "to": event["args"]["to"],
            "transactionHash": "0x" + event["transactionHash"].hex().removeprefix("0x"),
        }, sort_keys=True, separators=(",", ":")))


if __name__ == "__main__":
    main()
