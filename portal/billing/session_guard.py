"""Paying needs a password login: a transparent (IP-only) session proves only where a request comes from,
not who is at the keyboard. The rule is the cabinet's (``Principal.password_authenticated``,
``portal.deps.PasswordSubscriber``); payment pages answer with their own Russian message instead of the step-up
redirect, so a subscriber sees why on the form they filled."""

from portal.auth.sessions import Principal
from portal.deps import PasswordSubscriber

PASSWORD_REQUIRED = "Для оплаты войдите по номеру договора и паролю (вход по IP-адресу не позволяет платить)"

__all__ = ["PASSWORD_REQUIRED", "PasswordSubscriber", "is_password_session"]


def is_password_session(who: Principal) -> bool:
    return who.password_authenticated
