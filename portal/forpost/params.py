"""The form parameters of a call, read with the API's rules: absent -> ErrorCode 4, malformed -> ErrorCode 3.

Names are case-insensitive: public clients send ``format=JPG`` as well as ``Format=JPG``.
"""

import re
from collections.abc import Mapping
from datetime import datetime, tzinfo

from cloud_sync.segments import to_utc
from portal.forpost import errors
from portal.params import INT32_MAX

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_TRUE = {"1", "true", "yes", "on", "enabled"}
_FALSE = {"0", "false", "no", "off", "disabled", ""}
_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")  # ASCII digits only: "²".isdigit() is True and int() refuses it


class Params:
    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = {k.lower(): v.strip() for k, v in values.items()}

    def get(self, name: str) -> str | None:
        return self._values.get(name.lower())

    def text(self, name: str, max_len: int = 500) -> str:
        value = self.get(name)
        if value is None or value == "":
            raise errors.missing(name)
        if len(value) > max_len:
            raise errors.bad_value(name)
        return value

    def optional_text(self, name: str, default: str = "", max_len: int = 500) -> str:
        value = self.get(name)
        if value is None or value == "":
            return default
        if len(value) > max_len:
            raise errors.bad_value(name)
        return value

    def integer(self, name: str, default: int | None = None, lo: int = -INT32_MAX - 1, hi: int = INT32_MAX) -> int:
        """Decimal digits within [lo, hi] (by default what an Integer column holds): beyond it ErrorCode 3."""
        value = self.get(name)
        if value is None or value == "":
            if default is None:
                raise errors.missing(name)
            return default
        if not _INTEGER.fullmatch(value):
            raise errors.bad_value(name)
        number = int(value)
        if not lo <= number <= hi:
            raise errors.bad_value(name)
        return number

    def flag(self, name: str, default: bool | None = None) -> bool:
        """0/1 flags; PushBadge-style enabled/disabled too."""
        value = self.get(name)
        if value is None or (value == "" and default is not None):
            if default is None:
                raise errors.missing(name)
            return default
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise errors.bad_value(name)

    def local_datetime(self, name: str, zone: tzinfo) -> datetime | None:
        """A "Y-m-d H:i:s" time in the subscriber's zone, as aware UTC; None when absent."""
        value = self.get(name)
        if not value:
            return None
        try:
            return to_utc(datetime.strptime(value, TIME_FORMAT).replace(tzinfo=zone))
        except ValueError:  # 2026-02-30, or a year the arithmetic cannot hold (1, 9999)
            raise errors.bad_value(name) from None
