"""Where deliveries may go: redirects are not followed, and without --webhook-allow-private
the API refuses endpoints on loopback, private, link-local and metadata addresses."""

from __future__ import annotations

import time

import pytest

from webhook_receiver import WebhookReceiver
from webhook_helpers import delete_endpoint, wait_for_delivery, wait_for_object


def test_redirect_is_not_followed(gateway, receiver, endpoint):
    with WebhookReceiver() as other:
        receiver.redirect(other.url, times=5)
        session = gateway.create_session()
        request = wait_for_object(receiver, session["id"])[0]
        assert request.status == 302
        delivery = wait_for_delivery(gateway, endpoint["id"],
                                     lambda d: d["event"] == request.webhook_id
                                     and (d["last_status_code"] is not None or d["last_error"]),
                                     what="the redirected attempt recorded")
        assert delivery["status"] != "succeeded"
        assert delivery["delivered_at"] is None
        assert delivery["last_status_code"] in (302, None)
        time.sleep(2)
        assert other.requests == [], "the redirect target was contacted"
        again = wait_for_delivery(gateway, endpoint["id"], lambda d: d["id"] == delivery["id"])
        assert again["status"] != "succeeded"


@pytest.fixture(scope="module")
def strict_gateway(tmp_path_factory: pytest.TempPathFactory):
    """A gateway with the default policy: no private targets."""
    from gateway_server import GatewayServer

    server = GatewayServer(tmp_path_factory.mktemp("strict"))
    yield server
    assert server.stop() == 0, server.log_path.read_text()[-4000:]


REFUSED = [
    "http://127.0.0.1:{port}/webhooks",
    "http://localhost:{port}/webhooks",
    "http://[::1]:{port}/webhooks",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://172.16.5.4/hook",
    "http://192.168.1.10/hook",
    "http://127.8.9.10/hook",
]


@pytest.mark.parametrize("template", REFUSED)
def test_private_targets_refused(strict_gateway, template):
    url = template.format(port=strict_gateway.port)
    answer = strict_gateway.request("POST", "/v1/webhook_endpoints", {"url": url, "events": ["*"]})
    assert answer.status == 400, (url, answer.status, answer.body)
    error = answer.json()["error"]
    assert error["code"] == "url_not_allowed", error
    listed = strict_gateway.request("GET", "/v1/webhook_endpoints").json()
    listed = listed["data"] if isinstance(listed, dict) else listed
    assert url not in [e["url"] for e in listed]


# Other spellings of loopback and metadata addresses that resolvers accept.
@pytest.mark.parametrize("url", [
    "http://[::ffff:127.0.0.1]/hook",
    "http://2130706433/hook",
    "http://0x7f000001/hook",
    "http://127.1/hook",
    "http://[fd00::1]/hook",
    "http://[fe80::1]/hook",
    "http://0.0.0.0/hook",
])
def test_disguised_private_targets_refused(strict_gateway, url):
    answer = strict_gateway.request("POST", "/v1/webhook_endpoints", {"url": url, "events": ["*"]})
    assert answer.status == 400, (url, answer.status, answer.body)


def test_public_address_accepted(strict_gateway):
    # A public literal address needs no name lookup; the endpoint is only registered, never used.
    body = {"url": "http://93.184.215.14/hook", "events": ["*"]}
    answer = strict_gateway.request("POST", "/v1/webhook_endpoints", body)
    assert answer.status == 201, (answer.status, answer.body)
    delete_endpoint(strict_gateway, answer.json()["id"])


@pytest.mark.parametrize("url", ["ftp://93.184.215.14/hook", "not a url", "http:///hook", ""])
def test_malformed_urls_refused(strict_gateway, url):
    answer = strict_gateway.request("POST", "/v1/webhook_endpoints", {"url": url, "events": ["*"]})
    assert answer.status == 400, (url, answer.status, answer.body)
