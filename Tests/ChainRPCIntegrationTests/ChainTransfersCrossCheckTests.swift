import ChainRPC
import EthereumCore
import Foundation
import TestSupport
import Testing

/// `gateway chain transfers` on the devchain lists exactly what web3.py decodes for the
/// same block range and filters.
@Suite(.serialized) struct ChainTransfersCrossCheckTests {
    @Test func sameTransfersAsWeb3py() async throws {
        let chain = try await Devchain()
        let merchants = try (1...3).map { try Address("0x00000000000000000000000000000000000cafe\($0)") }
        for round in 0..<4 {
            for (index, merchant) in merchants.enumerated() {
                _ = try await chain.transfer(
                    token: chain.usdc, from: index + 1, to: merchant, amount: UInt256(UInt64(1_000_000 * (round + 1) + index)))
                _ = try await chain.transfer(token: chain.usdt, from: index + 4, to: merchant, amount: UInt256(UInt64(7 + round)))
            }
            try await chain.control("devchain_mine", [.int(3)])
        }
        let head = try await chain.client().request(.blockNumber, parse: RPCParse.uint64)
        let script = Paths.repositoryRoot.appendingPathComponent("Tests/CrossCheck/web3_transfers.py")

        let cases: [(token: Address, symbol: String, from: UInt64, to: UInt64, recipients: [Address])] = [
            (chain.usdc, "USDC", 0, head, []),
            (chain.usdt, "USDT", 0, head, []),
            (chain.usdc, "USDC", 5, head - 3, [merchants[0], merchants[2]]),
            (chain.usdt, "USDT", 3, head, [merchants[1]]),
        ]
        for (token, symbol, from, to, recipients) in cases {
            var ours = [
                "chain", "transfers", "--network", "devnet", "--devchain-info", chain.process.infoFile.path, "--token", symbol,
                "--from-block", "\(from)", "--to-block", "\(to)",
            ]
            var theirs = [script.path, "--rpc", chain.url, "--token", token.checksummed, "--from-block", "\(from)", "--to-block", "\(to)"]
            for recipient in recipients {
                ours += ["--to", recipient.checksummed]
                theirs += ["--to", recipient.checksummed]
            }
            let gateway = try runProcess(Paths.gatewayBinary, ours)
            let web3 = try runProcess(Paths.python, theirs)
            #expect(gateway.status == 0, "\(gateway.stderr)")
            #expect(web3.status == 0, "\(web3.stderr)")
            let ourLines = gateway.stdout.split(separator: "\n")
            #expect(ourLines == web3.stdout.split(separator: "\n"), "\(symbol) \(from)...\(to) to \(recipients)")
            #expect(ourLines.count >= recipients.count, "the case lists transfers")
        }
        let all = try runProcess(
            Paths.gatewayBinary,
            [
                "chain", "transfers", "--network", "devnet", "--devchain-info", chain.process.infoFile.path,
                "--token", "USDC", "--from-block", "3", "--to-block", "\(head)",
            ]
        ).stdout
        #expect(all.split(separator: "\n").count == 12, "12 USDC payments after the deployment blocks")
    }
}
