"""Authorisation matrix: every route of the app × {anonymous, A, B (other entrance), C (A's entrance), operator}.

The routes are enumerated from the app itself; each must match exactly one rule below, so a new route
that nobody classified fails this test. Each request carries a valid CSRF pair and a fresh session, so
what is tested is who may call the route, not the form guard. Camera routes run twice: with A's
private camera (C must be refused) and with the shared camera of A's entrance (C must be let in).
"""

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest

from portal.auth.sessions import open_session
from portal.cabinet.ip_bindings import bind_ip
from portal.models import Contract, ContractEmail, ContractPhone, Operator
from portal.web.csrf import CSRF_COOKIE

WHO = ("anon", "a", "b", "c", "op")
OK = {200, 201, 204, 303, 400, 404, 409, 410, 422}  # reached the handler: only the handler's own answer
DENY = {403, 404}  # refused without saying whether the thing exists
PAGE_ANON = {303}  # pages send the anonymous visitor to the login form
CAMERA_DENY = {403, 404}


def expect(anon: set[int], a: set[int], b: set[int], c: set[int], op: set[int]) -> dict[str, set[int]]:
    return dict(zip(WHO, (anon, a, b, c, op), strict=True))


PUBLIC = expect(OK, OK, OK, OK, OK)
SUBSCRIBER_PAGE = expect(PAGE_ANON, OK, OK, OK, {403})
OPERATOR_PAGE = expect(PAGE_ANON, {403}, {403}, {403}, OK)
OPERATOR_API = expect({401}, {403}, {403}, {403}, OK)
# Ingest takes a box's upload token, never a session; JSON bodies are validated first (422 tells nothing).
DEVICE_ONLY = expect(*[{401, 422}] * 5)
# A's own things (sessions, phones, e-mails): others get the handler's "no such …" answer and nothing changes.
OWN_ITEM = expect(PAGE_ANON, {303}, {400, 404}, {400, 404}, {403})
# Camera routes, by camera kind: the ownership rule (portal/access.py).
CAMERA_API_PRIVATE = expect({401}, OK, CAMERA_DENY, CAMERA_DENY, OK)
CAMERA_API_SHARED = expect({401}, OK, CAMERA_DENY, OK, OK)
CAMERA_PAGE_PRIVATE = expect(PAGE_ANON, OK, {404}, {404}, {403})
CAMERA_PAGE_SHARED = expect(PAGE_ANON, OK, {404}, OK, {403})
FORPOST = expect({200}, {200}, {200}, {200}, {200})  # Forpost answers 200 + ErrorCode; its own session tests cover it
SUBSCRIBER_API = expect({401}, OK, OK, OK, {403})
OWN_TICKET_API = expect({401}, OK, DENY, DENY, {403})
OWN_OR_STAFF_API = expect({401}, OK, DENY, DENY, OK)
TOKEN_URL = expect({400, 401, 403, 404, 410}, *[{400, 401, 403, 404, 410}] * 4)  # signed URLs; a bogus token fails


@dataclass(frozen=True)
class Rule:
    method: str
    pattern: str  # regex on the route path
    camera: bool = False  # run with private and shared camera
    cells: dict[str, set[int]] | None = None
    cells_shared: dict[str, set[int]] | None = None
    form: tuple[tuple[str, str], ...] = ()


RULES = [
    Rule("GET", r"/(openapi\.json|docs|docs/oauth2-redirect|redoc|healthz)", cells=PUBLIC),
    Rule("*", r"/static", cells=PUBLIC),
    # cabinet: login, recovery (public), JSON login
    Rule("POST", r"/api/v1/auth/login", cells=PUBLIC),
    Rule("POST", r"/api/v1/auth/logout", cells=expect({401}, OK, OK, OK, OK)),
    Rule("*", r"/|/login|/logout|/recover(/.*)?", cells=PUBLIC),
    # Password step-up: a password session is sent on (303), an empty password is refused (400).
    Rule("*", r"/login/confirm(/sms|/code)?", cells=expect(PAGE_ANON, {303, 400}, {303, 400}, {303, 400}, {403})),
    Rule("GET", r"/cameras|/favourites|/account/contacts|/account/sessions", cells=SUBSCRIBER_PAGE),
    Rule("POST", r"/account/contacts/(add|confirm)", cells=SUBSCRIBER_PAGE),
    Rule("POST", r"/account/(contacts/phones|contacts/emails|sessions)/\{\w+\}/(delete|revoke)", cells=OWN_ITEM),
    Rule(
        "*",
        r"/cameras/\{camera_id\}(/favourite)?",
        camera=True,
        cells=CAMERA_PAGE_PRIVATE,
        cells_shared=CAMERA_PAGE_SHARED,
    ),
    # operator console (cabinet part) and its API
    Rule("*", r"/operator/(login|logout)", cells=expect(*[OK | {401}] * 5)),  # 401 = wrong login/password
    Rule("*", r"/api/v1/operator/.*", cells=OPERATOR_API),
    # archive domain (cameras, timeline, HLS, downloads, snapshots) — the ownership rule
    Rule("GET", r"/api/v1/cameras", cells=expect({401}, OK, OK, OK, OK)),
    Rule(
        "GET",
        r"/api/v1/cameras/\{camera_id\}/.*",
        camera=True,
        cells=CAMERA_API_PRIVATE,
        cells_shared=CAMERA_API_SHARED,
    ),
    Rule("*", r"/ingest/v1/.*", cells=DEVICE_ONLY),
    Rule("POST", r"/api/v1/devices/claim", cells=PUBLIC),  # the box's claim code is its credential
    # Forpost API and its translations (own session ids and signed tokens)
    Rule("POST", r"/api/\{name\}", cells=FORPOST),
    Rule("*", r"/translations/\{token\}/.*", cells=TOKEN_URL),
    Rule("GET", r"/embed/forpost", cells=expect({403}, {403}, {403}, {403}, {403})),  # needs a signed embed link
    # support desk (docs/support.md): A's ticket, attachment and chat are A's alone (and staff's)
    Rule("GET", r"/api/v1/support/(topics|bot)|/api/v1/contacts", cells=PUBLIC),
    Rule("POST", r"/api/v1/support/(callback|feedback|connect)", cells=PUBLIC),
    Rule("*", r"/api/v1/support/(tickets|chat|bot/\{node_id\}/tickets)", cells=SUBSCRIBER_API),
    Rule("*", r"/api/v1/support/tickets/\{ticket_id\}(/messages)?", cells=OWN_TICKET_API),
    Rule("GET", r"/api/v1/support/attachments/\{attachment_id\}", cells=OWN_OR_STAFF_API),
    Rule("*", r"/api/v1/support/chats/\{chat_id\}/messages", cells=OWN_OR_STAFF_API),
    Rule("*", r"/api/v1/support/chats/\{chat_id\}/ws", cells=expect(*[{404}] * 5)),  # a socket; tests/support
    Rule("*", r"/support/(callback|feedback)|/connect|/contacts", cells=PUBLIC),
    Rule("*", r"/support(/new|/bot|/bot/\{node_id\}|/chat|/chat/messages)?", cells=SUBSCRIBER_PAGE),
    Rule("*", r"/support/tickets/\{ticket_id\}(/reply)?", cells=expect(PAGE_ANON, OK, {404}, {404}, {403})),
    Rule("*", r"/operator/support(/.*)?", cells=OPERATOR_PAGE),
    # notification centre (docs/notify.md): a subscriber's own feed and settings; signed unsubscribe links
    Rule(
        "*",
        r"/api/v1/(news|messages/active|notifications(/settings|/subscriptions|/\{notice_id\}/read)?)",
        cells=SUBSCRIBER_API,
    ),  # fmt: skip
    Rule("*", r"/notify/unsubscribe", cells=PUBLIC),
    Rule("*", r"/notifications(/settings|/\{notice_id\}/read)?", cells=SUBSCRIBER_PAGE),
    Rule("*", r"/operator/notify(/.*)?", cells=OPERATOR_PAGE),
    Rule("*", r"/operator(/.*)?", cells=OPERATOR_PAGE, form=(("address_id", "{addr_a}"),)),
]


def routes(app) -> Iterator[tuple[str, str]]:
    """(method, path) of every route, including routers included with a prefix and mounts ("*")."""

    def walk(items, prefix: str = "") -> Iterator[tuple[str, str]]:
        for route in items:
            if hasattr(route, "original_router"):  # an included router (FastAPI ≥ 0.16x)
                yield from walk(route.original_router.routes, prefix + route.include_context.prefix)
            elif getattr(route, "methods", None):
                for method in sorted(route.methods - {"HEAD"}):
                    yield method, prefix + route.path
            else:
                yield "*", prefix + route.path

    yield from walk(app.routes)


def rule_for(method: str, path: str) -> Rule:
    found = [r for r in RULES if r.method in ("*", method) and re.fullmatch(r.pattern, path)]
    assert found, f"route {method} {path} has no row in the authorisation matrix: classify it in RULES"
    return found[0]


def test_every_route_is_classified(portal) -> None:
    unclassified = []
    for method, path in routes(portal.app):
        try:
            rule_for(method, path)
        except AssertionError:
            unclassified.append(f"{method} {path}")
    assert not unclassified, f"routes without a row: {unclassified}"


_counter = itertools.count(1)


def _params(portal, path: str, camera: str) -> dict[str, str]:
    """Concrete values for path parameters; A's things are made fresh per request (some routes delete them)."""
    w = portal.world
    n = next(_counter)
    with portal.db.session() as s:
        a = s.get(Contract, w.ids["a"])
        values = {
            "camera_id": camera,
            "camera": camera,
            "contract_id": str(a.id),
            "device_id": w.device,
            "request_id": "no-such",
            "run_pk": "1",
            "segment_id": "1",
            "token": "bogus",
            "name": "GetCameras",
            "run": "20260101T000000Z-abcdef",
            "seq": "1",
            "notice_id": "999999",
        }
        if "{phone_id}" in path:
            phone = ContractPhone(contract_id=a.id, phone=f"+7900{n:07d}")
            s.add(phone)
            s.flush()
            values["phone_id"] = str(phone.id)
        if "{email_id}" in path:
            email = ContractEmail(contract_id=a.id, email=f"m{n}@example.ru")
            s.add(email)
            s.flush()
            values["email_id"] = str(email.id)
        if "{binding_id}" in path:
            values["binding_id"] = str(bind_ip(s, a.id, f"172.{16 + n // 250}.{n % 250}.0/24").id)
        if "{session_id}" in path:
            values["session_id"] = str(open_session(s, contract=a, lifetime=timedelta(hours=1))[1].id)
        values |= _support_params(portal, s, a, path, n)
    return values


def _support_params(portal, s, a: Contract, path: str, n: int) -> dict[str, str]:
    """A fresh ticket (with an attachment), chat, bot node, canned reply, contact of A's / the desk's."""
    from portal.models.support import BotNode, CannedReply, ContactCity, ContactEntry
    from portal.support import chat, tickets
    from portal.support.files import Upload

    values: dict[str, str] = {}
    if "{ticket_id}" in path or "{attachment_id}" in path:
        storage = portal.app.state.services.extra["storage"]
        png = Upload("shot.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)
        ticket = tickets.open_ticket(
            s, storage, kind="form", first_text="matrix", uploads=[png], author="subscriber", contract_id=a.id
        )
        values["ticket_id"] = str(ticket.id)
        values["attachment_id"] = str(tickets.thread(s, ticket, staff=True)[0][1][0].id)
    if "{chat_id}" in path:
        values["chat_id"] = str(chat.open_chat_of(s, a.id).id)
    if "{node_id}" in path:
        node = BotNode(title=f"matrix {n}", topic_code="other")
        s.add(node)
        s.flush()
        values["node_id"] = str(node.id)
    if "{reply_id}" in path:
        reply = CannedReply(title=f"matrix {n}", text="matrix")
        s.add(reply)
        s.flush()
        values["reply_id"] = str(reply.id)
    if "{city_id}" in path or "{entry_id}" in path:
        city = ContactCity(city=f"Город {n}")
        s.add(city)
        s.flush()
        entry = ContactEntry(city_id=city.id, kind="phone", value="8-384-375-60-00")
        s.add(entry)
        s.flush()
        values["city_id"], values["entry_id"] = str(city.id), str(entry.id)
    return values


def _token(portal, who: str) -> str | None:
    if who == "anon":
        return None
    with portal.db.session() as s:
        if who == "op":
            operator = s.query(Operator).filter_by(login=portal.world.operator).one()
            return open_session(s, operator=operator, lifetime=timedelta(hours=1))[0]
        return open_session(s, contract=s.get(Contract, portal.world.ids[who]), lifetime=timedelta(hours=1))[0]


def _call(portal, client: httpx.Client, method: str, path: str, rule: Rule, who: str, camera: str) -> int:
    values = _params(portal, path, camera)
    url = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values[m.group(1)], path)
    token = _token(portal, who)
    cookies = {CSRF_COOKIE: "matrix-seed"} | ({"dozor_session": token} if token else {})
    from portal.web.csrf import _sign  # the same HMAC the pages embed

    class _Req:  # _sign needs only app.state.services
        app = portal.app

    data = {"csrf": _sign(_Req, "matrix-seed")} | {k: v.format(addr_a=portal.world.ids["addr_a"]) for k, v in rule.form}
    query = {
        "start": "2026-01-01T00:00:00Z",
        "end": "2026-01-01T00:10:00Z",
        "from": "2026-01-01T00:00:00Z",
        "to": "2026-01-01T01:00:00Z",
        "duration": "60",
    }
    request = client.build_request(
        method if method != "*" else "GET",
        url,
        params=query,
        cookies=cookies,
        headers={"x-csrf-token": data["csrf"]},  # cookie-authenticated API calls carry the page's CSRF token
        data=data if method in ("POST", "PUT", "DELETE") else None,
    )
    return client.send(request).status_code


def _cases(portal) -> Iterator[tuple[str, str, Rule, str, str, set[int]]]:
    w = portal.world
    for method, path in routes(portal.app):
        rule = rule_for(method, path)
        if path == "/static":
            continue  # a mount: checked below with a real file
        variants = [(w.private_a, rule.cells)] + ([(w.shared_a, rule.cells_shared)] if rule.camera else [])
        for camera, cells in variants:
            for who in WHO:
                yield method, path, rule, who, camera, cells[who]


def test_authorisation_matrix(portal) -> None:
    failures = []
    with httpx.Client(base_url=portal.url, follow_redirects=False, timeout=30) as client:
        for method, path, rule, who, camera, expected in _cases(portal):
            status = _call(portal, client, method, path, rule, who, camera)
            if status not in expected:
                failures.append(f"{method} {path} [{camera}] as {who}: {status}, expected one of {sorted(expected)}")
        assert client.get("/static/css/dozor.css").status_code == 200
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("who", ["b", "c"])
def test_others_cannot_touch_a_s_things(portal, who: str) -> None:
    """The OWN_ITEM answers above change nothing: A's phone survives B's and C's delete."""
    with httpx.Client(base_url=portal.url, follow_redirects=False) as client:
        values = _params(portal, "/{phone_id}", portal.world.private_a)
        rule = rule_for("POST", "/account/contacts/phones/{phone_id}/delete")
        status = _call(portal, client, "POST", f"/account/contacts/phones/{values['phone_id']}/delete", rule, who, "")
    assert status == 400
    with portal.db.session() as s:
        assert s.get(ContractPhone, int(values["phone_id"])) is not None
