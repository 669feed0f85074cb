"""Checks each answer of the running gateway against the OpenAPI document with openapi-core:
status, content type, required headers and body schema of the operation that was called."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any, Optional

import jsonschema
import pytest
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from werkzeug.datastructures import Headers, ImmutableMultiDict

REPO = Path(__file__).resolve().parents[2]
DOCUMENT = REPO / "Sources" / "GatewayAPI" / "Resources" / "openapi.json"


class CheckedRequest:
    """The request side, as openapi-core reads it (only used to find the operation)."""

    def __init__(self, host_url: str, method: str, target: str, body: Optional[bytes], headers: dict) -> None:
        parts = urllib.parse.urlsplit(target)
        self.host_url = host_url
        self.path = parts.path
        self.method = method.lower()
        self.body = body
        self.content_type = "application/json" if body is not None else ""
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True)),
            header=Headers(headers),
            cookie=ImmutableMultiDict(),
        )


class CheckedResponse:
    def __init__(self, status: int, headers: dict, body: bytes) -> None:
        self.status_code = status
        self.headers = Headers(headers)
        self.content_type = (self.headers.get("Content-Type") or "").lower()
        if self.content_type.startswith("text/event-stream"):
            # The document describes one event of a stream: the first one is checked.
            events = parse_events(body.decode())
            self.data = events[0] if events else None
        elif "json" in self.content_type:
            self.data = body
        else:
            # Text answers (HTML, scripts, style sheets) are checked as strings.
            self.data = body.decode("utf-8", errors="replace")


def parse_events(text: str) -> list:
    """Server-sent events as objects of their fields (`event`, `data`, …); comments are skipped."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields: dict = {}
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            fields[name] = fields[name] + "\n" + value if name in fields else value
        if "data" in fields:
            events.append(fields)
    return events


class Document:
    def __init__(self, path: Path = DOCUMENT) -> None:
        self.raw = json.loads(path.read_text())
        self.openapi = OpenAPI.from_dict(self.raw)

    def validate(self, host_url: str, method: str, target: str, body: Optional[bytes], request_headers: dict,
                 status: int, headers: dict, data: bytes) -> None:
        """Raises when the answer does not conform to the document."""
        request = CheckedRequest(host_url, method, target, body, request_headers)
        response = CheckedResponse(status, headers, data)
        self.openapi.validate_response(request, response)

    def validate_schema(self, name: str, value: Any) -> None:
        """Checks a value against one of the document's component schemas."""
        registry = Registry().with_resource("urn:openapi", DRAFT202012.create_resource(self.raw))
        schema = {"$ref": f"urn:openapi#/components/schemas/{name}"}
        jsonschema.Draft202012Validator(schema, registry=registry).validate(value)


def header(answer: Any, name: str) -> Optional[str]:
    """A header of an answer of `GatewayServer.request`, by case-insensitive name."""
    for key, value in answer.headers.items():
        if key.lower() == name.lower():
            return value
    return None


def describe(error: Exception) -> str:
    parts = [f"{type(error).__name__}: {error}"]
    for inner in getattr(error, "schema_errors", None) or []:
        parts.append(f"  - {inner.message} at {list(inner.absolute_path)}")
    cause = error.__cause__
    while cause is not None:
        parts.append(f"  caused by {type(cause).__name__}: {cause}")
        for inner in getattr(cause, "schema_errors", None) or []:
            parts.append(f"  - {inner.message} at {list(inner.absolute_path)}")
        cause = cause.__cause__
    return "\n".join(parts)


class Api:
    """Calls the gateway and checks each answer: it must be one the document allows for the
    operation called (status, content type, required headers, body), carry a request id, and
    an error body must repeat that id."""

    def __init__(self, gateway: Any, document: Document) -> None:
        self.gateway = gateway
        self.document = document

    def call(self, method: str, path: str, body: Any = None, *, expect: Optional[int] = None, key: Optional[str] = None,
             auth: bool = True, headers: Optional[dict] = None) -> Any:
        sent_headers = dict(headers or {})
        if key is not None:
            sent_headers["Authorization"] = f"Bearer {key}"
            auth = False
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        answer = self.gateway.request(method, path, data, auth=auth, headers=sent_headers)
        context = f"{method} {path} -> {answer.status}: {answer.body[:600]!r}"
        if expect is not None:
            assert answer.status == expect, context
        request_id = header(answer, "X-Request-Id")
        assert request_id and request_id.startswith("req_"), f"no X-Request-Id: {context}"
        if auth:
            sent_headers["Authorization"] = f"Bearer {self.gateway.api_key}"
        try:
            self.document.validate(self.gateway.url, method, path, data, sent_headers, answer.status,
                                   answer.headers, answer.body)
        except Exception as error:  # noqa: BLE001 - reported with the answer
            pytest.fail(f"answer does not conform to openapi.json: {context}\n{describe(error)}")
        if answer.status >= 400 and "json" in (header(answer, "Content-Type") or ""):
            assert answer.json()["error"]["request_id"] == request_id, context
        return answer

    def ok(self, method: str, path: str, body: Any = None, expect: int = 200, **options: Any) -> Any:
        return self.call(method, path, body, expect=expect, **options).json()

    def error(self, method: str, path: str, body: Any = None, *, expect: int, type: str,
              param: Optional[str] = None, code: Optional[str] = None, **options: Any) -> dict:
        """The error of an answer that must fail; `param` None means: any or none."""
        answer = self.call(method, path, body, expect=expect, **options)
        error = answer.json()["error"]
        context = f"{method} {path}: {error}"
        assert error["type"] == type, context
        if param is not None:
            assert error.get("param") == param, context
        if code is not None:
            assert error["code"] == code, context
        return error
