"""Turns the configuration problems a person can fix into one sentence instead of a traceback."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager


class UserError(Exception):
    """A problem the operator can fix; its message says what happened and what to do."""


@contextmanager
def friendly_errors() -> Iterator[None]:
    try:
        yield
    except UserError as exc:
        print(f"dozor: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
