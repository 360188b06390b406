"""What a password must be, for every way one is set (a new user, a change, an admin's reset): at least ten
characters, not the username or built on it, and not one of the passwords people pick first — the list below
(the commonest of the leaked-password lists that reach ten characters, and the Chinese favourites among them) and
the trivial kinds no list needs: one character repeated, a run of consecutive digits or letters, a keyboard row.
"""

from __future__ import annotations

from yibao.domain.errors import YibaoError

MIN_LENGTH = 10
COMMON = frozenset(
    {
        "1234567890",
        "12345678910",
        "123456789a",
        "1234567890a",
        "a123456789",
        "a1234567890",
        "aa12345678",
        "aa123456789",
        "abc1234567",
        "abcd123456",
        "abcd1234567",
        "admin12345",
        "admin123456",
        "administrator",
        "iloveyou12",
        "password12",
        "password123",
        "password1234",
        "p@ssw0rd12",
        "p@ssword123",
        "qwerty1234",
        "qwerty12345",
        "qwertyuiop",
        "qwertyuiop123",
        "1q2w3e4r5t",
        "1q2w3e4r5t6y",
        "1qaz2wsx3edc",
        "1qaz2wsx3edc4rfv",
        "qazwsxedcrfv",
        "zxcvbnm123",
        "zxcvbnm1234",
        "asdfghjkl1",
        "asdfghjkl123",
        "woaini1314",
        "woaini5201314",
        "5201314520",
        "1314520520",
        "iloveyou1314",
        "123123123123",
        "123321123321",
        "1234512345",
        "0123456789",
        "9876543210",
        "147258369",
        "1472583690",
        "yibao12345",
        "yibao123456",
        "yibaoyibao",
        "welcome123",
        "changeme123",
        "letmein1234",
    }
)
KEYBOARD = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "0987654321", "abcdefghijklmnopqrstuvwxyz")


def _trivial(password: str) -> bool:
    """One character repeated, or a run along a keyboard row or the alphabet (either way)."""
    if len(set(password)) <= 2:
        return True
    return any(password in row or password in row[::-1] for row in KEYBOARD)


def check_password(password: str, username: str | None = None, *, field: str = "password") -> None:
    """Refuse a password no one should use: PASSWORD_WEAK (too short), PASSWORD_HAS_USERNAME, PASSWORD_COMMON."""
    if len(password) < MIN_LENGTH:
        raise YibaoError("PASSWORD_WEAK", field=field, minimum=MIN_LENGTH)
    lowered = password.lower()
    if username and len(username) >= 3 and username.lower() in lowered:
        raise YibaoError("PASSWORD_HAS_USERNAME", field=field)
    if lowered in COMMON or _trivial(lowered):
        raise YibaoError("PASSWORD_COMMON", field=field)
