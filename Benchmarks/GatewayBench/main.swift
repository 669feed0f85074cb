import COpenSSLCrypto
import CSecp256k1
import ChainRPC
import EthereumCore
import Foundation

// Measures the Ethereum core against its limits and peers, in one run, and prints ratios.
//   Keccak-256 throughput vs OpenSSL SHA3-256 (same permutation, different padding).
//   Transactions signed (and sender recovered) per second vs raw libsecp256k1 sign+recover,
//   and vs eth-account (Python) signing the same transaction.
//   Transfer logs decoded and filtered per second vs web3.py on the same eth_getLogs answer.
// Usage: GatewayBench [--python PATH] [--script PATH] [--decode-script PATH]

/// Runs `body` in batches until about `seconds` have passed, three times, and returns the
/// best rate in operations per second.
func measure(seconds: Double = 0.7, rounds: Int = 3, _ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    var best = 0.0
    for _ in 0..<rounds {
        var operations = 0
        let start = clock.now
        var elapsed = 0.0
        while elapsed < seconds {
            for _ in 0..<8 { body() }
            operations += 8
            let d = clock.now - start
            elapsed = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        }
        best = max(best, Double(operations) / elapsed)
    }
    return best
}

/// Measures two operations in alternation (best of each over five rounds), so that load
/// from other processes affects both sides of a ratio alike.
func compare(seconds: Double = 0.4, _ ours: () -> Void, _ reference: () -> Void) -> (ours: Double, reference: Double) {
    var best = (ours: 0.0, reference: 0.0)
    for _ in 0..<5 {
        best.ours = max(best.ours, measure(seconds: seconds, rounds: 1, ours))
        best.reference = max(best.reference, measure(seconds: seconds, rounds: 1, reference))
    }
    return best
}

func format(_ value: Double) -> String { String(format: "%.1f", value) }

var arguments = CommandLine.arguments.dropFirst()
var python: String? = nil
var script: String? = nil
var decodeScript: String? = nil
while let flag = arguments.popFirst() {
    switch flag {
    case "--python": python = arguments.popFirst()
    case "--script": script = arguments.popFirst()
    case "--decode-script": decodeScript = arguments.popFirst()
    default: fatalError("unknown argument \(flag)")
    }
}

print("== Keccak-256 vs OpenSSL SHA3-256 (limit); goal: ratio >= 0.7 for >= 1 KiB")
print("size       ours MB/s   openssl MB/s   ratio")
for size in [64, 1024, 1 << 20] {
    let input = [UInt8](repeating: 0xa5, count: size)
    var sink: UInt64 = 0
    let md = EVP_sha3_256()
    var digest = [UInt8](repeating: 0, count: 32)
    var length: UInt32 = 0
    let (ours, theirs) = compare(
        { sink &+= Keccak256.hash(input).w0 },
        {
            _ = EVP_Digest(input, size, &digest, &length, md, nil)
            sink &+= UInt64(digest[0])
        })
    let mb = Double(size) / 1_000_000
    print(
        String(
            format: "%-9@  %9.1f   %12.1f   %5.2f", size >= 1 << 20 ? "1 MiB" : size >= 1024 ? "1 KiB" : "\(size) B", ours * mb,
            theirs * mb, ours / theirs))
    if sink == 42 { print("") }
}

print(
    "\n== Signing an EIP-1559 ERC-20 transfer (sign + recover sender) vs raw libsecp256k1 sign+recover (limit, goal >= 0.8) and eth-account (peer)"
)
let key = try! PrivateKey(hex: "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
let tx = Transaction(
    type: .dynamicFee, chainId: 137, nonce: 42, maxPriorityFeePerGas: 30_000_000_000, maxFeePerGas: 120_000_000_000,
    gasLimit: 65_000, to: try! Address("0xc2132D05D31c914a87C6611C10748AEb04B58e8F"),
    data: ERC20.transferCallData(to: try! Address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"), amount: 1_500_000))
let expectedSender = key.address
var count = 0
let ctx = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE))!
let secret = key.secretBytes
let digest = tx.signingHash.bytes
let (oursSign, rawSign) = compare(
    {
        let signed = tx.signed(with: key)
        if (try? signed.sender()) == expectedSender { count += 1 }
    },
    {
        var signature = secp256k1_ecdsa_recoverable_signature()
        _ = secp256k1_ecdsa_sign_recoverable(ctx, &signature, digest, secret, nil, nil)
        var pubkey = secp256k1_pubkey()
        _ = secp256k1_ecdsa_recover(ctx, &pubkey, &signature, digest)
    })
precondition(count > 0, "every signature recovers to the signer")
print("ours:              \(format(oursSign)) tx/s")
print("libsecp256k1 raw:  \(format(rawSign)) sign+recover/s   ratio ours/raw = \(String(format: "%.2f", oursSign / rawSign))")

/// Runs a peer script and returns the first number it prints.
func runPeer(_ python: String, _ arguments: [String]) -> (Double, String)? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    guard (try? process.run()) != nil else { return nil }
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let words = output.split(whereSeparator: { $0 == " " || $0 == "\n" })
    guard let first = words.first, let value = Double(first) else { return nil }
    return (value, words.dropFirst().joined(separator: " "))
}

if let python, let script {
    if let (peer, _) = runPeer(python, [script]), peer > 0 {
        print("eth-account:       \(format(peer)) tx/s               ratio ours/eth-account = \(String(format: "%.1f", oursSign / peer))")
    } else {
        print("eth-account:       no result")
    }
}

// A synthetic eth_getLogs answer: 20,000 logs of two tokens, 80% Transfers (one in ten to a
// watched address), 20% Approvals; 1,000 watched addresses.
print("\n== Decoding and filtering Transfer logs from an eth_getLogs answer (20,000 logs) vs web3.py (peer)")
func randomAddress() -> Address { try! Address(bytes: (0..<20).map { _ in UInt8.random(in: 0...255) }) }
let watchedList = (0..<1_000).map { _ in randomAddress() }
let watched = Set(watchedList)
let tokens = [try! Address("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"), try! Address("0xdAC17F958D2ee523a2206206994597C13D831ec7")]
let approvalTopic = Keccak256.hash(text: "Approval(address,address,uint256)")
var logObjects = [[String: Any]]()
var expectedKept = 0
for index in 0..<20_000 {
    let isTransfer = index % 5 != 0
    let toWatched = isTransfer && index % 10 == 1
    if toWatched { expectedKept += 1 }
    let to = toWatched ? watchedList[index % watchedList.count] : randomAddress()
    logObjects.append([
        "address": tokens[index % 2].lowercased,
        "topics": [(isTransfer ? ERC20.transferTopic : approvalTopic).hex, randomAddress().word.hex, to.word.hex],
        "data": UInt256(UInt64.random(in: 1...10_000_000_000)).word.hex,
        "blockNumber": UInt256(UInt64(20_000_000 + index / 50)).hexQuantity,
        "blockHash": Keccak256.hash(text: "block \(index / 50)").hex,
        "transactionHash": Keccak256.hash(text: "tx \(index)").hex,
        "transactionIndex": UInt256(UInt64(index % 50)).hexQuantity,
        "logIndex": UInt256(UInt64(index % 50)).hexQuantity,
        "removed": false,
    ])
}
let body = try! JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "id": 1, "result": logObjects])
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-bench-\(ProcessInfo.processInfo.processIdentifier)")
try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }
let bodyFile = directory.appendingPathComponent("logs.json")
let watchedFile = directory.appendingPathComponent("watched.json")
try! body.write(to: bodyFile)
try! JSONSerialization.data(withJSONObject: watchedList.map(\.lowercased)).write(to: watchedFile)

var kept = 0
let decodeRate =
    measure(seconds: 2.0) {
        let object = try! JSONSerialization.jsonObject(with: body) as! [String: Any]
        let logs = try! RPCParse.logs(object["result"]!)
        kept = logs.reduce(0) { count, log in
            guard let transfer = log.transfer, watched.contains(transfer.to) else { return count }
            return count + 1
        }
    } * 20_000
precondition(kept == expectedKept, "decoded \(kept) watched transfers, expected \(expectedKept)")
print("ours:              \(format(decodeRate)) logs/s (kept \(kept))")
if let python, let decodeScript {
    if let (peer, detail) = runPeer(python, [decodeScript, bodyFile.path, watchedFile.path]), peer > 0 {
        print(
            "web3.py:           \(format(peer)) logs/s (kept \(detail))   ratio ours/web3.py = \(String(format: "%.1f", decodeRate / peer))"
        )
    } else {
        print("web3.py:           no result")
    }
}
