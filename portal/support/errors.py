"""Bad input to the desk: the field and why (Russian, shown on pages and in the API's 422 detail)."""


class SupportError(ValueError):
    def __init__(self, field: str, reason: str, status: int = 422) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.status = status

    def detail(self) -> list[dict]:
        """FastAPI's 422 shape, so clients read every validation error the same way."""
        return [{"loc": ["body", self.field], "msg": self.reason, "type": "value_error"}]
