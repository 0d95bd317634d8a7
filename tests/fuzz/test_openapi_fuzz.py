"""schemathesis over every operation of the portal's OpenAPI, as a subscriber and as an operator.

Checks: no 5xx for any generated input (``not_a_server_error``) and, for 2xx answers, conformance to the
response schema the operation declares. Both valid (positive) and schema-violating (negative) inputs are
generated. The ASGI app runs in-process on SQLite; hypothesis is derandomized and bounded (``MAX_EXAMPLES``
per operation and role), so the run is reproducible and short. Every finding of every operation is
collected, and the test fails listing them all: the finding count must be 0.

A 503 the operation documents is the one 5xx allowed: it says a part of the deployment is not configured
here (no MQTT link for box commands), whatever the input.
"""

import hashlib

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.fuzz.conftest import FuzzPortal

MAX_EXAMPLES = 10
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def openapi_schema(fuzz_portal: FuzzPortal):
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_portal.app)


def _known_ids(portal: FuzzPortal, case) -> None:
    """Half the cases name real things (A's camera, the box, A's contract), so the handlers past the
    "not found" answer are fuzzed too; which half is fixed by the case itself (reproducible)."""
    real = {
        "camera_id": portal.world.private_a,
        "camera": portal.world.private_a,
        "device_id": portal.world.device,
        "contract_id": str(portal.world.ids["a"]),
    }
    digest = hashlib.sha256(repr(sorted((case.path_parameters or {}).items())).encode()).digest()
    for name in list(case.path_parameters or {}):
        if name in real and digest[0] % 2 == 0:
            case.path_parameters[name] = real[name]


def _documented_503(case, status: int) -> bool:
    return status == 503 and "503" in (case.operation.definition.raw.get("responses") or {})


def _strategy(operation):
    modes = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        try:
            modes.append(operation.as_strategy(generation_mode=mode))
        except Exception:  # some operations have nothing to violate (no parameters, no body)
            continue
    return st.one_of(*modes)


def _fuzz(operation, portal: FuzzPortal, who: str) -> list[str]:
    findings: dict[str, str] = {}

    @FUZZ
    @given(case=_strategy(operation))
    def run(case) -> None:
        _known_ids(portal, case)
        headers = {"Authorization": f"Bearer {portal.session_token(who)}"}
        try:
            response = case.call(headers=headers)  # an unhandled exception in the app propagates here
            if _documented_503(case, response.status_code):
                return
            checks = [not_a_server_error]
            if 200 <= response.status_code < 300:
                checks.append(response_schema_conformance)
            case.validate_response(response, checks=checks, headers=headers)
        except (Exception, FailureGroup) as failure:  # keep going: the report lists every distinct finding
            text = f"{type(failure).__name__}: {failure}"
            findings.setdefault(text.splitlines()[0], f"{operation.label} as {who}: {text[:1500]}")

    run()
    return list(findings.values())


@pytest.mark.slow
@pytest.mark.parametrize("who", ["subscriber", "operator"])
def test_no_server_error(openapi_schema, fuzz_portal: FuzzPortal, who: str) -> None:
    findings: list[str] = []
    operations = [result.ok() for result in openapi_schema.get_all_operations()]
    assert len(operations) > 50  # every route of the app is in the schema (a broken loader finds nothing)
    for operation in operations:
        findings.extend(_fuzz(operation, fuzz_portal, who))
    assert not findings, f"{len(findings)} findings:\n\n" + "\n\n".join(findings)


def test_the_subscriber_token_comes_from_the_json_login(fuzz_portal: FuzzPortal) -> None:
    """The JSON login hands out the same kind of bearer token the fuzz cases use."""
    token = fuzz_portal.json_login()
    answer = fuzz_portal.client.get("/api/v1/cameras", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert {c["id"] for c in answer.json()} == {fuzz_portal.world.private_a, fuzz_portal.world.shared_a}
