"""Schemathesis against every operation of the API, through the WSGI app, with the token of
a persona: no answer is a server error and every answer matches the schema the document gives
for its status (``not_a_server_error``, ``response_schema_conformance``).

The data: caja A as in ``test_api_access.py`` (two closed meetings, an applied-then-approved
loan) and a meeting left open, so that writes reach the services. Generated ids are random;
half of them are replaced by the real caja, meeting and loan so that operations run on data
(a bounded number of examples per operation keeps the run to a couple of minutes).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from cajas.api.tokens import token_create
from cajas.meetings.models import Meeting, MeetingItem
from cajas.meetings.opening import meeting_start
from cajas.members.models import Membership
from cajas.wsgi import application
from tests.factories import approved_loan, loan_caja, program_admin, user_for

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)

EXAMPLES = 20


@pytest.fixture(autouse=True)
def one_connection() -> Any:
    """The WSGI app runs in the test's transaction: Django closes a request's connection when
    it finishes (``close_old_connections``), which would end that transaction. Django's own
    test client leaves it open the same way."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    caja = loan_caja()
    loan = approved_loan(caja)
    open_meeting = meeting_start(caja_id=caja.pk, date=loan.applied_on, opened_by="tesorera")
    treasurer = user_for(Membership.objects.get(caja=caja, number=2), "tere")
    admin = program_admin(caja, "pam")
    return {
        "caja": caja.pk,
        "number": open_meeting.number,
        "loan": loan.number,
        "item": MeetingItem.objects.filter(meeting=open_meeting)
        .values_list("pk", flat=True)
        .first(),
        "treasurer": token_create(user=treasurer, name="schemathesis")[1],
        "admin": token_create(user=admin, name="schemathesis")[1],
    }


def _steer(case: Any, world: dict[str, Any]) -> None:
    """Every other generated id is replaced by a real one (the meeting for meeting paths, the
    loan for loan paths), so that the operations run on data as well as on ids not there."""
    params = case.path_parameters or {}

    def even(name: str) -> bool:  # the coverage phase also sends ids that are not numbers
        return isinstance(params.get(name), int) and params[name] % 2 == 0

    for name, real in (("caja_id", world["caja"]), ("item_id", world["item"])):
        if even(name) and real is not None:
            params[name] = real
    if even("number"):
        params["number"] = world["loan"] if "/loans/" in case.path else world["number"]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_every_operation_answers_within_its_schema(case: Any, world: dict[str, Any]) -> None:
    _steer(case, world)
    token = world["admin"] if case.path.startswith("/api/v1/program/") else world["treasurer"]
    case.call_and_validate(
        # The WSGI transport does not undo GZipMiddleware's compression, as an HTTP client does.
        headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"},
        checks=[not_a_server_error, response_schema_conformance],
    )
    assert Meeting.objects.filter(caja_id=world["caja"]).count() >= 3
