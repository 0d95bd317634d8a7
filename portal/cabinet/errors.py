"""The one error type domain functions raise for bad input: which field, and why (in Russian, for pages)."""


class FieldError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
