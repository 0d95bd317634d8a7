"""Integer parameters the database can hold: ids in paths, digits in forms (bigger values would overflow it).

A path id outside its column's range answers 422 naming the parameter, never a database overflow (500).
"""

import re
from typing import Annotated

from fastapi import Path, Query

INT32_MAX = 2**31 - 1  # sa.Integer on PostgreSQL
INT64_MAX = 2**63 - 1  # sa.BigInteger (the archive's ids)
_DIGITS = re.compile(r"[0-9]{1,19}")

RowId = Annotated[int, Path(ge=1, le=INT32_MAX, description="Row id")]
BigRowId = Annotated[int, Path(ge=1, le=INT64_MAX, description="Row id")]
Seq = Annotated[int, Path(ge=0, le=INT64_MAX, description="Sequence number")]


def small_int(value: str | None, hi: int = INT32_MAX) -> int | None:
    """ASCII digits as an int in [0, hi]; None for anything else (``"²".isdigit()`` is True, int() refuses it)."""
    text = (value or "").strip()
    if not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if number <= hi else None


# "Messages after this one": 0 = from the start; capped like the ids it is compared with.
AfterId = Annotated[int, Query(ge=0, le=INT64_MAX, description="Only rows with a larger id")]
