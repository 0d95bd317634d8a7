"""A lean HTTP/1.1 GET for the download benchmarks, run as its own process, as a real client is.

The benchmark is of the server: an in-process httpx client (64 KiB reads, h11 parsing, sharing the server's GIL)
needs ~2.5 s for 905 MB even from a server that sends bytes from memory, more than twice a raw read of those
bytes from the directory store, so it would measure itself. This one reads the body with recv_into a 1 MiB
buffer and times itself (connect → first body byte → last body byte), leaving out its own start-up. It hashes
the body only when asked (the verification runs, not the timed ones).

    python -m tests.bench.fetch URL [--header 'Name: value']... [--sha256]
prints {"first_byte": s, "total": s, "size": n, "status": code, "content_length": n|null, "sha256": hex|null}.
"""

import argparse
import hashlib
import json
import socket
import time
from urllib.parse import urlsplit

BUFFER = 1024 * 1024


def fetch(url: str, headers: list[str], digest: bool = False) -> dict:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    request = [f"GET {target or '/'} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close", *headers, "", ""]
    hasher = hashlib.sha256() if digest else None
    start = time.perf_counter()
    with socket.create_connection((parts.hostname, parts.port or 80)) as sock:
        sock.sendall("\r\n".join(request).encode())
        buffer = bytearray(BUFFER)
        view = memoryview(buffer)
        head = bytearray()
        while b"\r\n\r\n" not in head:
            n = sock.recv_into(view)
            if n == 0:
                raise ConnectionError(f"connection closed before the response headers: {bytes(head)!r}")
            head += view[:n]
        end = head.index(b"\r\n\r\n") + 4
        lines = bytes(head[:end]).decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if "chunked" in fields.get("transfer-encoding", ""):
            raise ValueError("chunked responses are not read by this client: send a Content-Length")
        length = int(fields["content-length"]) if "content-length" in fields else None
        body = bytes(head[end:])
        first = time.perf_counter() - start if body else None
        size = len(body)
        if hasher is not None:
            hasher.update(body)
        while length is None or size < length:
            n = sock.recv_into(view)
            if n == 0:
                break
            if first is None:
                first = time.perf_counter() - start
            size += n
            if hasher is not None:
                hasher.update(view[:n])
        total = time.perf_counter() - start
    return {
        "first_byte": first if first is not None else total,
        "total": total,
        "size": size,
        "status": status,
        "content_length": length,
        "sha256": hasher.hexdigest() if hasher is not None else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--sha256", action="store_true")
    args = parser.parse_args()
    print(json.dumps(fetch(args.url, args.header, args.sha256)))


if __name__ == "__main__":
    main()
