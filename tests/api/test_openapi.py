"""Property-based run over the app's own OpenAPI schema (schemathesis) against a live server: whatever the
generated request, valid or not, the server never fails with a 5xx and every documented response matches
its schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.api.conftest import serve, with_api

ADMIN_KEY = "schemathesis-admin"
# Listed rather than discovered so each operation is its own test; the first test keeps the list complete.
OPERATIONS = [
    ("POST", "/v1/ask"),
    ("POST", "/v1/search"),
    ("POST", "/v1/partners"),
    ("GET", "/v1/documents/{doc_id}"),
    ("POST", "/v1/feedback"),
    ("POST", "/v1/submissions"),
    ("GET", "/v1/submissions/{submission_id}"),
    ("POST", "/v1/introductions"),
    ("POST", "/v1/needs"),
    ("GET", "/v1/needs/{token}"),
    ("DELETE", "/v1/needs/{token}"),
    ("GET", "/v1/admin/submissions"),
    ("POST", "/v1/admin/submissions/{submission_id}/approve"),
    ("POST", "/v1/admin/submissions/{submission_id}/reject"),
    ("GET", "/v1/admin/feedback"),
    ("GET", "/v1/admin/documents"),
    ("DELETE", "/v1/admin/documents/{document_id}"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
]


@pytest.fixture(scope="module")
def api_schema(sandbox_services):
    with serve(with_api(sandbox_services, rate_limit_per_minute=0, admin_key=ADMIN_KEY)) as server:
        yield schemathesis.openapi.from_url(f"{server.url}/openapi.json")


def test_every_operation_is_covered(api_schema):
    found = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert found == set(OPERATIONS)


WITHOUT_INPUT = {"/healthz", "/readyz"}  # nothing to make invalid: no negative cases
CASES = [
    (method, path, mode)
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if not (mode is GenerationMode.NEGATIVE and path in WITHOUT_INPUT)
]


@pytest.mark.parametrize("method, path, mode", CASES, ids=[f"{m} {p} {g.value}" for m, p, g in CASES])
def test_operation_conforms_to_its_schema(api_schema, method, path, mode):
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=30, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(
            headers={"X-API-Key": ADMIN_KEY}, timeout=60, checks=[not_a_server_error, response_schema_conformance]
        )

    run()
