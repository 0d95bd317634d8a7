"""The form parameters of a call, read with the API's rules: absent -> ErrorCode 4, malformed -> ErrorCode 3."""

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo

from portal.forpost import errors

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_TRUE = {"1", "true", "yes", "on", "enabled"}
_FALSE = {"0", "false", "no", "off", "disabled", ""}


class Params:
    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = {k: v.strip() for k, v in values.items()}

    def get(self, name: str) -> str | None:
        return self._values.get(name)

    def text(self, name: str, max_len: int = 500) -> str:
        value = self._values.get(name)
        if value is None or value == "":
            raise errors.missing(name)
        if len(value) > max_len:
            raise errors.bad_value(name)
        return value

    def optional_text(self, name: str, default: str = "", max_len: int = 500) -> str:
        value = self._values.get(name)
        if value is None or value == "":
            return default
        if len(value) > max_len:
            raise errors.bad_value(name)
        return value

    def integer(self, name: str, default: int | None = None) -> int:
        value = self._values.get(name)
        if value is None or value == "":
            if default is None:
                raise errors.missing(name)
            return default
        try:
            return int(value)
        except ValueError:
            raise errors.bad_value(name) from None

    def flag(self, name: str, default: bool | None = None) -> bool:
        """0/1 flags; PushBadge-style enabled/disabled too."""
        value = self._values.get(name)
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
        value = self._values.get(name)
        if not value:
            return None
        try:
            naive = datetime.strptime(value, TIME_FORMAT)
        except ValueError:
            raise errors.bad_value(name) from None
        return naive.replace(tzinfo=zone).astimezone(UTC)
