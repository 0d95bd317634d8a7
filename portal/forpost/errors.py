"""Forpost error answers: ``ErrorCode`` 1-5 for every call, ``LoginErrorCode`` for Login; texts in Russian."""

UNKNOWN = 1
SESSION = 2
BAD_VALUE = 3
MISSING = 4
FORBIDDEN = 5

LOGIN_WRONG_PASSWORD = 1
LOGIN_DISABLED = 101
LOGIN_BLOCKED = 103
LOGIN_SERVER_DOWN = 201
LOGIN_SERVER_ERROR = 202
LOGIN_NO_SUCH_USER = 203

LOGIN_TEXTS = {
    LOGIN_WRONG_PASSWORD: "Неверный логин или пароль",
    LOGIN_DISABLED: "Учётная запись отключена",
    LOGIN_BLOCKED: "Вход заблокирован",
    LOGIN_SERVER_DOWN: "Сервер авторизации недоступен",
    LOGIN_SERVER_ERROR: "Ошибка сервера авторизации",
    LOGIN_NO_SUCH_USER: "Пользователь не найден",
}

SESSION_MISSING = "Сессия не существует"
SESSION_EXPIRED = "Сессия истекла"
SESSION_IP_DIFFERS = "IP-адрес сессии отличается"
TRANSLATION_LIMIT = "Достигнут лимит трансляций"


class ForpostError(Exception):
    """A call failed; the answer is ``{"ErrorCode": code, "Error": text}``."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text

    def answer(self) -> dict[str, object]:
        return {"ErrorCode": self.code, "Error": self.text}


class LoginError(Exception):
    """Login refused; the answer is ``{"LoginErrorCode": code, "Error": text}``."""

    def __init__(self, code: int) -> None:
        super().__init__(LOGIN_TEXTS[code])
        self.code = code

    def answer(self) -> dict[str, object]:
        return {"LoginErrorCode": self.code, "Error": LOGIN_TEXTS[self.code]}


def unknown(text: str = "Неизвестная ошибка") -> ForpostError:
    return ForpostError(UNKNOWN, text)


def session(text: str = SESSION_MISSING) -> ForpostError:
    return ForpostError(SESSION, text)


def bad_value(name: str) -> ForpostError:
    return ForpostError(BAD_VALUE, f"Неверное значение параметра {name}")


def missing(name: str) -> ForpostError:
    return ForpostError(MISSING, f"Не указан параметр {name}")


def forbidden(text: str = "Нет прав") -> ForpostError:
    return ForpostError(FORBIDDEN, text)
