import Foundation
import TestSupport
import Testing

/// A JSON-RPC endpoint that answers like a broken or hostile provider: `head` answers
/// `eth_chainId` with the devnet's id and `eth_blockNumber` with 2^64 - 1; `limited` answers
/// every request with HTTP 429 and the given `Retry-After`.
final class HostileEndpoint: Sendable {
    let process: ManagedProcess
    let url: String

    init(mode: String, retryAfter: String = "inf") async throws {
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-hostile-endpoint-\(UUID().uuidString).py")
        try Data(Self.source.utf8).write(to: script)
        process = try await ManagedProcess(Paths.python, [script.path, "--mode", mode, "--retry-after", retryAfter])
        url = process.info["url"] as! String
        try? FileManager.default.removeItem(at: script)
    }

    deinit { process.stop() }

    static let source = #"""
        import argparse, json, os, signal, threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        parser = argparse.ArgumentParser()
        parser.add_argument("--mode", required=True)
        parser.add_argument("--retry-after", default="inf")
        parser.add_argument("--info", required=True)
        args = parser.parse_args()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *rest):
                pass

            def do_POST(self):
                request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                if args.mode == "limited":
                    body, status, extra = b"Too Many Requests\n", 429, {"Retry-After": args.retry_after}
                else:
                    results = {"eth_chainId": "0x539", "eth_blockNumber": "0xffffffffffffffff"}
                    answer = {"jsonrpc": "2.0", "id": request.get("id"), "result": results.get(request.get("method"))}
                    body, status, extra = json.dumps(answer).encode(), 200, {}
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                for key, value in extra.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        temporary = args.info + ".tmp"
        with open(temporary, "w") as handle:
            json.dump({"url": f"http://127.0.0.1:{server.server_address[1]}"}, handle)
        os.replace(temporary, args.info)
        while not stop.wait(0.5):
            pass
        server.shutdown()
        """#
}

/// `gateway chain head` against providers whose numbers would once have trapped: the command
/// fails with a message and exit status 1, never a signal.
@Suite(.serialized) struct ChainCommandHostileTests {
    @Test func headOfTwoToTheSixtyFourMinusOne() async throws {
        let endpoint = try await HostileEndpoint(mode: "head")
        let result = try runProcess(Paths.gatewayBinary, ["chain", "head", "--network", "devnet", "--rpc", endpoint.url, "--timeout", "5"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("no provider of devnet answered eth_blockNumber"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test(arguments: ["inf", "nan", "-1", "1e999"])
    func retryAfterThatCannotBeHonoured(_ value: String) async throws {
        let endpoint = try await HostileEndpoint(mode: "limited", retryAfter: value)
        let result = try runProcess(Paths.gatewayBinary, ["chain", "head", "--network", "devnet", "--rpc", endpoint.url, "--timeout", "5"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("malformed response: HTTP 429 with an unusable Retry-After"), "\(result.stderr)")
    }
}
