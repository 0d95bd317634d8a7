"""Runs the portal under uvicorn, failing with one clear sentence when the port is taken."""

import errno
import socket

import uvicorn

from dozor.errors import UserError


def check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UserError(
                    f"port {port} on {host} is already in use; stop whatever uses it or pick another with --port"
                ) from None
            raise UserError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def serve(host: str, port: int, workers: int = 1) -> None:
    check_port_free(host, port)
    uvicorn.run(
        "portal.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,  # X-Forwarded-For is honoured only from configured proxies (portal.auth)
        log_level="info",
    )
