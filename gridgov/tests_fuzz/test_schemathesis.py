"""Schemathesis against the OpenAPI schema, in-process through the WSGI application.

Every operation is fuzzed twice, as the superuser (unrestricted scope) and as 网格员 alice
(grid 1 only), each with a personal API token, with valid and invalid inputs. A run must give
no server error, and every answer must match what the schema declares for it: its status code,
its content type and its body. The run is deterministic (derandomised, no example database) so
CI does not flake, and bounded (`MAX_EXAMPLES` per operation and identity) so the step stays
within a few minutes on two cores.

Not part of the normal suite (marker `fuzz`, deselected in addopts); run it with
`pytest -m fuzz gridgov/tests_fuzz -n 0`.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from gridgov.api import api
from gridgov.tests_fuzz.conftest import TALLY
from gridgov.wsgi import application

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

MAX_EXAMPLES = int(os.environ.get("GRIDGOV_FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
OTHER_METHOD_CHECKS = [not_a_server_error, unsupported_method]

# Values at and past the edges of what the databases store: hypothesis rarely draws a 20-digit
# number or a date in year 1 by itself, and those are what used to turn into 500s (finding 8).
EDGE_INTEGERS = [0, -1, 2**31, 2**63 - 1, 2**63, 2**64, 10**20]
EDGE_STRINGS = [
    "0001-01-01",
    "1969-12-31",
    "9999-12-31",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:59-12:00",
    "99999999999999999999",
    "-1",
    "",
]

config = schemathesis.Config.from_dict(
    {
        "seed": 20260101,
        "dictionaries": {
            "edge-integers": {"values": EDGE_INTEGERS},
            "edge-strings": {"values": EDGE_STRINGS},
        },
        "generation": {
            "dictionaries": {
                "integer": {"dictionary": "edge-integers", "probability": 0.25},
                "string": {"dictionary": "edge-strings", "probability": 0.15},
            },
            "mode": "all",
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
            # Tokens are sent explicitly below: generated Authorization headers would only
            # exercise the 401 path of every operation over and over.
            "with-security-parameters": False,
        },
        # Explicit examples, the coverage phase's boundary values, then random fuzzing.
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
        },
    }
)
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(), config=config)
schema.app = application

FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    print_blob=False,
)


def _exercise(case, community, persona: str) -> None:
    from gridgov.accounts.models import ApiToken

    # DELETE /tokens/{id} with a small generated id may revoke the caller's own token; put it
    # back so the rest of the run keeps its identity instead of collecting 401s.
    ApiToken.objects.filter(pk__in=community.token_ids, revoked_at__isnull=False).update(revoked_at=None)
    headers = {"Authorization": f"Bearer {community.tokens[persona]}", "X-Api-Key": community.api_key}
    response = case.call(headers=headers)
    label = f"{persona} {case.operation.label}"
    TALLY.operations.add(case.operation.label)
    TALLY.identities.add(persona)
    TALLY.examples += 1
    TALLY.statuses[response.status_code] += 1
    if response.status_code >= 500:
        TALLY.server_errors.append(f"{label}: {case.as_curl_command(headers=headers)[:300]}")
    # The coverage phase also tries methods the path does not have: those must answer 405 with
    # an Allow header, which no operation declares (it is not a response of the operation).
    other_method = case.method.upper() != case.operation.method.upper()
    try:
        case.validate_response(
            response, checks=OTHER_METHOD_CHECKS if other_method else CHECKS, headers=headers
        )
    except FailureGroup:
        if response.status_code < 500:
            TALLY.violations.add(label)
        raise


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_superuser(case, community):
    _exercise(case, community, "admin")


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_grid_worker(case, community):
    _exercise(case, community, "alice")
