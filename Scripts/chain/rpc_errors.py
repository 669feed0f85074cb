"""JSON-RPC error objects with the codes and messages geth uses."""

from __future__ import annotations

from typing import Any, Optional

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
SERVER_ERROR = -32000
EXECUTION_REVERTED = 3


class RpcError(Exception):
    """An error answered as a JSON-RPC error object."""

    def __init__(self, code: int, message: str, data: Optional[Any] = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict:
        error: dict = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def server_error(message: str) -> RpcError:
    return RpcError(SERVER_ERROR, message)


def invalid_argument(index: int, reason: str) -> RpcError:
    return RpcError(INVALID_PARAMS, f"invalid argument {index}: {reason}")
