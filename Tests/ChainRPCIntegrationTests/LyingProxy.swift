import ChainRPC
import EthereumCore
import Foundation
import TestSupport

/// A provider that lies in one configured way, in front of a real node. It complements the
/// fault proxy with lies that need the real chain's data: a forged transfer inside a real
/// transaction of the block, changed amounts, logs left out, an absurd head or finalized block.
///
/// `lie` is a JSON object with any of:
/// - `"head": "0x…"`: the answer to `eth_blockNumber`;
/// - `"finalized": N`: the number of the `finalized` block;
/// - `"forge": {"to": address, "amount": n}`: every `eth_getLogs` answer gains, per block,
///   a Transfer that copies the block's first returned log (its transaction, token, sender
///   and transaction index) to `to` for `amount`, at log index 1000; the receipt of that
///   transaction gains it too;
/// - `"inflate": n`: every returned log's data becomes `n` (receipts included);
/// - `"drop": true`: every `eth_getLogs` answer is empty (receipts stay honest).
final class LyingProxy: Sendable {
    let process: ManagedProcess
    let url: String

    init(upstream: String, lie: [String: Any]) async throws {
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-lying-proxy-\(UUID().uuidString).py")
        try Data(Self.source.utf8).write(to: script)
        let text = String(decoding: try JSONSerialization.data(withJSONObject: lie), as: UTF8.self)
        process = try await ManagedProcess(Paths.python, [script.path, "--upstream", upstream, "--lie", text])
        url = process.info["url"] as! String
        try? FileManager.default.removeItem(at: script)
    }

    func client(timeout: Duration = .seconds(5)) -> JSONRPCClient {
        JSONRPCClient(transport: HTTPTransport(url: url), timeout: timeout)
    }

    deinit { process.stop() }

    static let source = #"""
        import argparse, http.client, json, os, signal, sys, threading, urllib.parse
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        def word(value):
            return "0x" + value.to_bytes(32, "big").hex()

        def main():
            parser = argparse.ArgumentParser()
            parser.add_argument("--upstream", required=True)
            parser.add_argument("--lie", required=True)
            parser.add_argument("--info", required=True)
            args = parser.parse_args()
            lie = json.loads(args.lie)
            upstream = urllib.parse.urlsplit(args.upstream)
            local = threading.local()

            def post(body):
                for attempt in range(2):
                    connection = getattr(local, "connection", None)
                    if connection is None:
                        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
                        local.connection = connection
                    try:
                        connection.request("POST", upstream.path or "/", body=body, headers={"Content-Type": "application/json"})
                        return connection.getresponse().read()
                    except (http.client.HTTPException, OSError):
                        connection.close()
                        local.connection = None
                        if attempt == 1:
                            raise

            def forged_from(log):
                spec = lie["forge"]
                recipient = "0x" + spec["to"].lower()[2:].rjust(64, "0")
                return dict(log, topics=[log["topics"][0], log["topics"][1], recipient], data=word(int(spec["amount"])), logIndex=hex(1000))

            def rewrite_logs(logs):
                if lie.get("drop"):
                    return []
                if "inflate" in lie:
                    logs = [dict(log, data=word(int(lie["inflate"]))) for log in logs]
                if "forge" in lie:
                    firsts = {}
                    for log in logs:
                        if len(log.get("topics", [])) == 3:
                            firsts.setdefault(log["blockHash"], log)
                    logs = logs + [forged_from(log) for log in firsts.values()]
                return logs

            def rewrite_receipt(receipt):
                if not isinstance(receipt, dict):
                    return receipt
                logs = receipt.get("logs", [])
                if "inflate" in lie:
                    logs = [dict(log, data=word(int(lie["inflate"]))) for log in logs]
                if "forge" in lie:
                    transfers = [log for log in logs if len(log.get("topics", [])) == 3]
                    if transfers:
                        logs = logs + [forged_from(transfers[0])]
                return dict(receipt, logs=logs)

            def answer(call, response):
                method = call.get("method")
                params = call.get("params") or []
                result = response.get("result")
                if method == "eth_blockNumber" and "head" in lie:
                    result = lie["head"]
                elif method == "eth_getBlockByNumber" and params[:1] == ["finalized"] and "finalized" in lie and isinstance(result, dict):
                    result = dict(result, number=hex(int(lie["finalized"])))
                elif method == "eth_getLogs" and isinstance(result, list):
                    result = rewrite_logs(result)
                elif method == "eth_getTransactionReceipt":
                    result = rewrite_receipt(result)
                else:
                    return response
                return dict(response, result=result)

            class Handler(BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
                disable_nagle_algorithm = True

                def log_message(self, *args):
                    pass

                def do_POST(self):
                    body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                    try:
                        request = json.loads(body)
                        response = json.loads(post(body))
                        if isinstance(request, list) and isinstance(response, list):
                            by_id = {call.get("id"): call for call in request if isinstance(call, dict)}
                            response = [answer(by_id.get(item.get("id"), {}), item) for item in response]
                        elif isinstance(request, dict) and isinstance(response, dict):
                            response = answer(request, response)
                        payload = json.dumps(response).encode()
                        status = 200
                    except Exception as failure:
                        payload = f"upstream failed: {failure}".encode()
                        status = 502
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)

            class Server(ThreadingHTTPServer):
                daemon_threads = True

            server = Server(("127.0.0.1", 0), Handler)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            signal.signal(signal.SIGINT, lambda *_: stop.set())
            temporary = args.info + f".{os.getpid()}.tmp"
            with open(temporary, "w") as handle:
                json.dump({"url": f"http://127.0.0.1:{server.server_address[1]}"}, handle)
            os.replace(temporary, args.info)
            while not stop.wait(0.5):
                pass
            server.shutdown()
            try:
                os.unlink(args.info)
            except FileNotFoundError:
                pass

        if __name__ == "__main__":
            main()
        """#
}
