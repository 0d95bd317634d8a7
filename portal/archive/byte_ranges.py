"""HTTP byte ranges (RFC 9110 §14) for files whose size is known: one range per request, If-Range by ETag."""

import re

_RANGE = re.compile(r"\s*bytes\s*=\s*(\d{0,19})\s*-\s*(\d{0,19})\s*")


class Unsatisfiable(ValueError):
    """The Range names no byte of the file (answer 416 with ``Content-Range: bytes */size``)."""


def requested(range_header: str | None, if_range: str | None, etag: str, size: int) -> tuple[int, int] | None:
    """(first, last) inclusive to send as 206, or None to send the whole file as 200.

    The whole file is sent when there is no Range, when If-Range names another version (the client's partial
    copy is of a different file: a resume must not splice two), or for forms we do not serve (several ranges,
    other units): ignoring Range is always allowed. Raises Unsatisfiable when the range starts past the end."""
    if not range_header:
        return None
    if if_range is not None and if_range.strip() != etag:
        return None
    match = _RANGE.fullmatch(range_header)
    if match is None:
        return None
    first_s, last_s = match.groups()
    if not first_s:
        if not last_s:
            return None
        suffix = int(last_s)
        if suffix == 0:
            raise Unsatisfiable(range_header)
        return max(size - suffix, 0), size - 1
    first = int(first_s)
    last = int(last_s) if last_s else size - 1
    if last_s and last < first:
        return None  # invalid: ignore it
    if first >= size:
        raise Unsatisfiable(range_header)
    return first, min(last, size - 1)
