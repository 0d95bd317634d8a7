"""The parameters of a Forpost request, wherever a client put them (Mobile API and System API alike).

Real clients differ: the apps POST `application/x-www-form-urlencoded`, SmartYard-Server's PHP cURL posts
`multipart/form-data`, an axios client posts a urlencoded string as `text/plain`, some repeat the query
string in the body. So: the query string first, then the body on top of it (the body wins on a repeated
name); a body of any other content type is read as a form when it looks like one (`a=1&b=2`), and a JSON
object of plain values is read too. Anything else is ErrorCode 3.
"""

import json
from urllib.parse import parse_qsl

from fastapi import Request

from portal.body_limit import BodyTooLarge
from portal.forpost import errors

BAD_BODY = "Неверный формат параметров запроса"


async def request_params(request: Request) -> dict[str, str]:
    """Query and body parameters as one mapping; ForpostError (ErrorCode 3) for a body that is none."""
    values = dict(request.query_params)
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    try:
        if kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
            form = await request.form()
            values.update({key: value for key, value in form.items() if isinstance(value, str)})
            return values
        raw = await request.body()
    except BodyTooLarge:  # reading stopped at the cap (portal/body_limit.py); the apps still get an ErrorCode
        raise errors.ForpostError(errors.BAD_VALUE, "Слишком большой запрос") from None
    except Exception:  # a malformed multipart or urlencoded body: the apps expect an ErrorCode, not HTTP 400
        raise errors.ForpostError(errors.BAD_VALUE, BAD_BODY) from None
    values.update(_loose_body(raw))
    return values


def _loose_body(raw: bytes) -> dict[str, str]:
    """A body sent as text/plain, JSON or without a content type."""
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise errors.ForpostError(errors.BAD_VALUE, BAD_BODY) from None
    if not text:
        return {}
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except ValueError:
            raise errors.ForpostError(errors.BAD_VALUE, BAD_BODY) from None
        if not isinstance(document, dict) or not all(
            isinstance(v, str | int | float) and not isinstance(v, bool) for v in document.values()
        ):
            raise errors.ForpostError(errors.BAD_VALUE, BAD_BODY)
        return {str(k): str(v) for k, v in document.items()}
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise errors.ForpostError(errors.BAD_VALUE, BAD_BODY) from None
    return dict(pairs)
