"""Password strength rules for subscribers and operators."""

from portal.cabinet.errors import FieldError

MIN_LENGTH = 8
# Passwords people pick first; a guessing attack tries these before anything else.
COMMON = {
    "password",
    "12345678",
    "123456789",
    "1234567890",
    "qwertyui",
    "qwerty123",
    "11111111",
    "00000000",
    "password1",
    "iloveyou",
    "йцукенгш",
    "пароль123",
}


def check_password_strength(password: str, *, contract_number: str = "", field: str = "password") -> None:
    """Raise FieldError naming the first rule the password breaks."""
    if len(password) < MIN_LENGTH:
        raise FieldError(field, f"пароль должен быть не короче {MIN_LENGTH} символов")
    if len(password) > 128:
        raise FieldError(field, "пароль должен быть не длиннее 128 символов")
    if not any(ch.isdigit() for ch in password) or not any(ch.isalpha() for ch in password):
        raise FieldError(field, "пароль должен содержать и буквы, и цифры")
    if password.lower() in COMMON or len(set(password)) < 4:
        raise FieldError(field, "пароль слишком простой")
    if contract_number and contract_number in password:
        raise FieldError(field, "пароль не должен содержать номер договора")
