"""Reading HTTP request bodies for the devchain and the test proxy (standard library only)."""

from typing import BinaryIO


def read_chunked(stream: BinaryIO) -> bytes:
    """The body of a request sent with `Transfer-Encoding: chunked`, trailers skipped."""
    chunks = []
    while True:
        size = int(stream.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while stream.readline() not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(chunks)
        chunks.append(stream.read(size))
        stream.readline()
