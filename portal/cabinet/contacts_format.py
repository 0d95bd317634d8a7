"""Phone and e-mail normalisation and the masked form shown before a recovery SMS."""

import re

from portal.cabinet.errors import FieldError

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def normalize_phone(raw: str, field: str = "phone") -> str:
    """Russian numbers in any common spelling -> '+7XXXXXXXXXX'; other countries must start with '+'."""
    digits = re.sub(r"[\s\-()]", "", raw.strip())
    if re.fullmatch(r"8\d{10}", digits):
        digits = "+7" + digits[1:]
    elif re.fullmatch(r"7\d{10}", digits):
        digits = "+" + digits
    elif re.fullmatch(r"9\d{9}", digits):
        digits = "+7" + digits
    if not re.fullmatch(r"\+\d{10,15}", digits):
        raise FieldError(field, "номер телефона должен быть вида +7 905 123-45-67")
    return digits


def normalize_email(raw: str, field: str = "email") -> str:
    email = raw.strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise FieldError(field, "адрес почты должен быть вида name@example.ru")
    local, domain = email.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def mask_phone(phone: str) -> str:
    """'+79051234567' -> '+7 905 ***-**-67': enough to recognise one's own phone, not to learn it."""
    if phone.startswith("+7") and len(phone) == 12:
        return f"+7 {phone[2:5]} ***-**-{phone[-2:]}"
    return phone[:3] + "*" * max(len(phone) - 5, 0) + phone[-2:]
