"""Attachments: name and size checks, the type sniffed from the bytes, and storage under support/…

A file's name must say what its bytes are (a «.png» that starts like a PDF is refused), because staff
open these files: the name is what they trust. Nothing is stored until every file of a message passed.
"""

import re
import secrets
import unicodedata
from dataclasses import dataclass

from portal.support.errors import SupportError

MAX_FILES = 10  # the seed's limit per message
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# extension -> (family the bytes must sniff as, the Content-Type we serve)
EXTENSIONS = {
    "jpg": ("jpeg", "image/jpeg"),
    "jpeg": ("jpeg", "image/jpeg"),
    "png": ("png", "image/png"),
    "gif": ("gif", "image/gif"),
    "webp": ("webp", "image/webp"),
    "pdf": ("pdf", "application/pdf"),
    "mp4": ("isobmff", "video/mp4"),
    "m4v": ("isobmff", "video/mp4"),
    "mov": ("isobmff", "video/quicktime"),
    "webm": ("webm", "video/webm"),
}
FAMILY_NAMES = {
    "jpeg": "JPEG",
    "png": "PNG",
    "gif": "GIF",
    "webp": "WebP",
    "pdf": "PDF",
    "isobmff": "MP4/QuickTime",
    "webm": "WebM",
}
ACCEPT = ",".join(f".{ext}" for ext in EXTENSIONS)


@dataclass(frozen=True)
class Upload:
    """A checked file, ready to store."""

    filename: str
    content_type: str
    data: bytes


def sniff(data: bytes) -> str | None:
    """The family of a file from its first bytes, or None when it is none we accept."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free"):
        return "isobmff"
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    return None


def check_name(name: str, field: str = "files") -> str:
    name = unicodedata.normalize("NFC", name or "").strip()
    if not name:
        raise SupportError(field, "у файла нет имени")
    if _CONTROL.search(name):
        raise SupportError(field, f"имя файла {name!r} содержит управляющие символы")
    if "/" in name or "\\" in name or ".." in name:
        raise SupportError(field, f"имя файла «{name}» содержит путь (/, \\ или ..)")
    if len(name) > 150:
        raise SupportError(field, "имя файла длиннее 150 символов")
    return name


def check_file(name: str, data: bytes, max_bytes: int, field: str = "files") -> Upload:
    name = check_name(name, field)
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in EXTENSIONS:
        raise SupportError(field, f"«{name}»: допустимы изображения, PDF и видео ({ACCEPT})")
    if len(data) > max_bytes:
        raise SupportError(field, f"«{name}» больше {max_bytes // (1024 * 1024) or 1} МБ")
    if not data:
        raise SupportError(field, f"«{name}» пустой")
    family, content_type = EXTENSIONS[ext]
    found = sniff(data)
    if found != family:
        what = FAMILY_NAMES.get(found, "неизвестного типа") if found else "неизвестного типа"
        raise SupportError(field, f"«{name}» — не {FAMILY_NAMES[family]}: по содержимому это файл {what}")
    return Upload(name, content_type, data)


def check_files(files: list[tuple[str, bytes]], max_bytes: int, field: str = "files") -> list[Upload]:
    if len(files) > MAX_FILES:
        raise SupportError(field, f"не больше {MAX_FILES} файлов в одном сообщении, выбрано {len(files)}")
    return [check_file(name, data, max_bytes, field) for name, data in files]


def new_key(ticket_id: int) -> str:
    """Random per file: a key never says anything a guesser could use, and never repeats."""
    return f"support/{ticket_id}/{secrets.token_hex(12)}"
