"""The probe's failure causes come from the error, never from digits that happen to be in the camera's URL."""

from __future__ import annotations

import errno

import pytest

from edge.techui.probe import classify_error

URL = "rtsp://admin:secret@127.0.0.1:40404/stream"


@pytest.mark.parametrize(
    ("exc", "cause"),
    [
        (ConnectionRefusedError(errno.ECONNREFUSED, f"Connection refused: '{URL}'"), "unreachable"),
        (OSError(-errno.ECONNREFUSED, f"Connection refused: '{URL}'"), "unreachable"),
        (TimeoutError("timed out"), "unreachable"),
        (OSError(f"Server returned 404 Not Found: '{URL}'"), "not_found"),
        (OSError(f"Server returned 401 Unauthorized (authorization failed): '{URL}'"), "unauthorized"),
        (OSError(f"Invalid data found when processing input: '{URL}'"), "error"),
    ],
)
def test_failure_cause(exc: BaseException, cause: str) -> None:
    assert classify_error(exc, URL) == cause


def test_a_port_with_404_in_it_is_not_a_missing_path() -> None:
    assert classify_error(OSError(f"Connection refused: '{URL}'"), URL) == "unreachable"
    assert classify_error(OSError("error on rtsp://127.0.0.1:14014/x"), "rtsp://127.0.0.1:14014/x") == "error"
