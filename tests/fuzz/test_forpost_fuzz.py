"""Property: every Forpost call answers HTTP 200 with JSON, whatever its form parameters are.

Random parameter names (the real ones, in any case, and made-up ones), hostile values (numbers beyond
64 bits, 1e309, NaN, years 1 and 9999, 2026-02-30, control characters, long text), sent urlencoded, as
multipart, in the query string or as a garbled body. The answer is an ``ErrorCode`` (1-5) with an
``Error`` text, a ``LoginErrorCode``, or the call's own answer — never HTTP 4xx/5xx.
"""

import logging
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.auth.sessions import open_session
from portal.forpost import sessions
from portal.models import Contract, LoginSession
from tests.cabinet.world import PASSWORD
from tests.fuzz.conftest import FuzzPortal

# Each call's own parameters (docs/forpost.md), so each example meets the parameters its call reads.
CALL_PARAMS = {
    "login": ["LoginSessionID", "Login", "Password", "UserAgent"],
    "logout": [],
    "remember": ["Email"],
    "getcameras": ["IncludeParentGroups", "IncludeState", "ActiveOnly"],
    "getcameracategories": [],
    "gettranslationurl": ["CameraID", "Format", "TS", "TZ", "LightStream"],
    "stoptranslation": ["URL"],
    "getevents": ["CameraID", "Count", "LowerDate", "UpperDate"],
    "getcurrenttime": [],
    "togglefavcamera": ["CameraID"],
    "callcontrolleddevice": ["CameraID", "ControlledDeviceID"],
    "enablehomemode": ["CameraID", "Enable"],
    "getembedclient": ["CustomerLogin", "CameraID", "UserIP", "IsTimeline"],
    "setiostoken": ["DeviceUID", "DeviceToken", "AppName", "AppVersion", "PushBadge", "PushAlert", "ClientID"],
    "registration": [],
    "getbrand": [],
    "addcamera": [],
}
PARAMS = sorted({name for names in CALL_PARAMS.values() for name in names} | {"SessionID"})
# Valid values too, so a call gets past its first parameter to the next one.
VALID = ["1", "2", "3", "0", "HLS", "JPG", "H264", "100101", "Kamera2024x", "2026-01-01 00:00:00", "a@mail.ru"]
HOSTILE = [
    "", " ", "0", "-1", "1", "2", str(2**31), str(2**63), str(2**64 + 1), str(-(2**70)), "1" * 400, "1e309",
    "-1e309", "NaN", "nan", "inf", "0x10", "1_000", "١٢", "²", "+-1", "1.5", "true", "enabled", "HLS", "jpg",
    "h264", "FLV", "0001-01-01 00:00:00", "9999-12-31 23:59:59", "2026-02-30 00:00:00", "2026-13-01 25:61:61",
    "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "http://[::1", "http://x/translations/abc/index.m3u8",
    "a@b", "@", "\x00", "\r\n", "\ud7ff", "💥" * 50, "x" * 5000, "100101", "Kamera2024x", "Europe/Nowhere",
]  # fmt: skip
SETTINGS = settings(
    max_examples=250, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


def _any_case(name: str):
    return st.lists(st.booleans(), min_size=len(name), max_size=len(name)).map(
        lambda upper: "".join(c.upper() if u else c.lower() for c, u in zip(name, upper, strict=True))
    )


values = st.one_of(
    st.sampled_from(HOSTILE),
    st.sampled_from(VALID),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=60),
)
OMIT = object()


def _form_for(call: str):
    """The call's own parameters, each with a value or absent, plus made-up names and real names in the
    wrong case (Forpost names are case-sensitive: those must read as absent)."""
    own = st.fixed_dictionaries({name: st.one_of(values, st.just(OMIT)) for name in CALL_PARAMS[call]})
    odd = st.dictionaries(
        st.one_of(st.sampled_from(PARAMS).flatmap(_any_case), st.text(min_size=1, max_size=12)), values, max_size=3
    )
    return st.tuples(own, odd).map(lambda both: {**both[1], **{k: v for k, v in both[0].items() if v is not OMIT}})


calls = st.sampled_from(sorted(CALL_PARAMS)).flatmap(
    lambda call: st.tuples(st.one_of(st.just(call), _any_case(call)), _form_for(call))
)
encodings = st.sampled_from(["form", "multipart", "query", "raw"])
raw_bodies = st.binary(max_size=200)
raw_types = st.sampled_from(
    ["application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=x", "text/plain", ""]
)


def _session(portal: FuzzPortal, ip: str) -> str:
    """A fresh Forpost session (a fuzzed Logout ends the one it is given), opened as Login opens it."""
    with portal.app.state.services.db.session() as s:
        contract = s.get(Contract, portal.world.ids["a"])
        contract.status = "active"
        return open_session(
            s, contract=contract, lifetime=timedelta(hours=1), kind=sessions.KIND, ip=ip, user_agent="fuzz"
        )[0]


def _client_ip(portal: FuzzPortal) -> str:
    """The address Forpost sessions of this client are bound to: learnt from one real Login."""
    answer = portal.client.post("/api/Login", data={"Login": portal.world.contract_a, "Password": PASSWORD}).json()
    assert "SessionID" in answer, answer
    with portal.app.state.services.db.session() as s:
        return s.query(LoginSession).filter_by(kind=sessions.KIND).order_by(LoginSession.id.desc()).first().ip


def _is_forpost_answer(body: object) -> bool:
    if isinstance(body, list):
        return all(isinstance(item, dict) for item in body)
    if not isinstance(body, dict):
        return False
    if "ErrorCode" in body:
        return body["ErrorCode"] in (1, 2, 3, 4, 5) and isinstance(body.get("Error"), str) and body["Error"]
    if "LoginErrorCode" in body:
        return isinstance(body["LoginErrorCode"], int) and isinstance(body.get("Error"), str)
    return True


def test_every_call_answers_200_json_whatever_the_parameters(fuzz_portal: FuzzPortal, caplog) -> None:
    """Also: no call reaches the dispatcher's last-resort handler (an ErrorCode 1 that hides a defect)."""
    caplog.set_level(logging.ERROR, logger="portal.forpost.dispatch")
    ip = _client_ip(fuzz_portal)
    fuzz_portal.client.post("/api/GetCameras", data={"SessionID": _session(fuzz_portal, ip)})  # numbers cameras

    @SETTINGS
    @given(
        call_and_form=calls,
        with_session=st.booleans(),
        encoding=encodings,
        raw=raw_bodies,
        raw_type=raw_types,
    )
    def call(call_and_form, with_session: bool, encoding: str, raw: bytes, raw_type: str) -> None:
        name, form = call_and_form
        session = {"SessionID": _session(fuzz_portal, ip)} if with_session else {}
        form = {**form, **session}
        form = {k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for k, v in form.items()}
        client = fuzz_portal.client
        if encoding == "form":
            answer = client.post(f"/api/{name}", data=form)
        elif encoding == "multipart":
            answer = client.post(f"/api/{name}", files={k: (None, v) for k, v in form.items()})
        elif encoding == "query":
            answer = client.post(f"/api/{name}", params=form)
        else:
            headers = {"content-type": raw_type} if raw_type else {}
            answer = client.post(f"/api/{name}", params=session, content=raw, headers=headers)
        assert answer.status_code == 200, f"{name} {encoding} {form!r}: HTTP {answer.status_code} {answer.text[:300]}"
        assert answer.headers["content-type"].startswith("application/json")
        assert _is_forpost_answer(answer.json()), f"{name} {form!r}: {answer.text[:300]}"
        failures = [r for r in caplog.records if r.name == "portal.forpost.dispatch"]
        caplog.clear()
        assert not failures, f"{name} {encoding} {form!r}: {failures[0].getMessage()} {failures[0].exc_text or ''}"

    call()
