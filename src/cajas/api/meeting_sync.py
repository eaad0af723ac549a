"""The meeting screen's changes, sent from the phone when it has signal (docs/offline.md).

``POST /api/v1/cajas/{caja}/meetings/{number}/changes`` takes the changes in the order they
were made, each with its own key, and applies them one by one (``meetings.sync.change_apply``:
each key once, every rule checked again). Each change gets its own result: ``applied``,
``repeated`` (the key had been applied: its first outcome, nothing written now), ``refused``
(with the error, nothing written) or ``held``. The close is held when a change before it in the
same request was refused or left a conflict: the treasurer looks at those first. The answer
also carries the whole sheet as the server holds it now, so the phone shows what another phone
recorded.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from cajas.access.selectors import caja_get_for_user, user_can_record_meetings
from cajas.api.errors import errors, forbidden
from cajas.meetings.models import Meeting
from cajas.meetings.sync import (
    Change,
    CloseChange,
    DisburseChange,
    FineChange,
    ItemAddChange,
    ItemAmountChange,
    ItemRemoveChange,
    Keyed,
    RepayChange,
    RowChange,
    UsualChange,
    changes_apply,
    sheet_now,
)

router = Router(tags=["meetings"])

Key = Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Amount = Annotated[str, Field(max_length=20)]
Id = Annotated[int, Field(ge=1, le=2_000_000_000)]
Status = Literal["present", "represented", "excused", "absent"]


class LineFields(Schema):
    """Some fields of a member's line (the ones a change sets, or what the phone saw)."""

    status: Status | None = None
    late: bool | None = None
    shares: Annotated[int, Field(ge=0, le=999)] | None = None
    fund: bool | None = None


class RowIn(Schema):
    key: Key
    kind: Literal["row"]
    member: Id
    values: LineFields
    base: LineFields


class UsualIn(Schema):
    key: Key
    kind: Literal["usual"]
    zero_shares_confirmed: bool = False


class ItemAddIn(Schema):
    key: Key
    kind: Literal["item_add"]
    item_kind: Annotated[str, Field(max_length=20)]
    amount: Amount
    member: Annotated[str, Field(max_length=10)] = ""  # as typed; checked like the form's
    description: Annotated[str, Field(max_length=200)] = ""


class ItemRemoveIn(Schema):
    key: Key
    kind: Literal["item_remove"]
    item: Id


class ItemAmountIn(Schema):
    key: Key
    kind: Literal["item_amount"]
    item: Id
    amount: Amount


class FineIn(Schema):
    key: Key
    kind: Literal["fine_pay", "fine_waive"]
    member: Id
    amount: Amount


class DisburseIn(Schema):
    key: Key
    kind: Literal["disburse"]
    loan: Id


class RepayIn(Schema):
    key: Key
    kind: Literal["repay"]
    loan: Id
    amount: Amount
    prepay: bool = False


class CloseIn(Schema):
    key: Key
    kind: Literal["close"]
    counted_cash: Amount


ChangeIn = Annotated[
    RowIn
    | UsualIn
    | ItemAddIn
    | ItemRemoveIn
    | ItemAmountIn
    | FineIn
    | DisburseIn
    | RepayIn
    | CloseIn,
    Field(discriminator="kind"),
]


class ChangesIn(Schema):
    device: Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z0-9_-]*$")] = ""
    changes: Annotated[list[ChangeIn], Field(min_length=1, max_length=100)]


class ChangeError(Schema):
    code: str
    message: str
    field: str | None = None


class ChangeResult(Schema):
    key: str
    status: Literal["applied", "repeated", "refused", "held"]
    outcome: dict[str, Any] | None = None
    error: ChangeError | None = None


class LineOut(Schema):
    status: str
    late: bool
    shares: int
    fund: bool


class ChangesOut(Schema):
    results: list[ChangeResult]
    sheet: dict[str, LineOut]
    at: str  # when the server read the sheet (ISO 8601)
    redirect: str | None = None  # where the screen goes once the meeting is closed


def _fields(line: LineFields) -> dict[str, Any]:
    return {k: v for k, v in line.dict().items() if v is not None}


def _change(item: Any) -> Change:
    """The service's change for one validated item of the request."""
    if isinstance(item, RowIn):
        return RowChange(member=item.member, values=_fields(item.values), base=_fields(item.base))
    if isinstance(item, UsualIn):
        return UsualChange(zero_shares_confirmed=item.zero_shares_confirmed)
    if isinstance(item, ItemAddIn):
        return ItemAddChange(
            kind=item.item_kind,
            amount=item.amount,
            member=item.member,
            description=item.description,
        )
    if isinstance(item, ItemRemoveIn):
        return ItemRemoveChange(item_id=item.item)
    if isinstance(item, ItemAmountIn):
        return ItemAmountChange(item_id=item.item, amount=item.amount)
    if isinstance(item, FineIn):
        return FineChange(
            member=item.member,
            amount=item.amount,
            waive=item.kind == "fine_waive",
            reason=_("Waived by the meeting"),
        )
    if isinstance(item, DisburseIn):
        return DisburseChange(loan_id=item.loan)
    if isinstance(item, RepayIn):
        return RepayChange(loan_id=item.loan, amount=item.amount, prepay=item.prepay)
    return CloseChange(counted_cash=item.counted_cash)


def _recorded_meeting(request: HttpRequest, caja_id: int, number: int) -> Meeting:
    caja = caja_get_for_user(user=request.user, caja_id=caja_id)
    if not user_can_record_meetings(user=request.user, caja=caja):
        raise forbidden()
    return get_object_or_404(Meeting, caja=caja, number=number)


def _line_out(sheet: dict[int, dict[str, Any]]) -> dict[str, LineOut]:
    return {str(n): LineOut(**line) for n, line in sheet.items()}


@router.post(
    "/{int:caja_id}/meetings/{int:number}/changes",
    response={200: ChangesOut, **errors(403, 404, 422)},
    operation_id="meeting_changes",
)
def meeting_changes(
    request: HttpRequest, caja_id: int, number: int, payload: ChangesIn
) -> ChangesOut:
    """Apply the phone's changes to an open meeting, in order, each key once."""
    meeting = _recorded_meeting(request, caja_id, number)
    keyed = [Keyed(key=item.key, change=_change(item)) for item in payload.changes]
    done = changes_apply(
        meeting_id=meeting.pk,
        changes=keyed,
        device=payload.device,
        recorded_by=request.user.get_username(),
        now=timezone.now(),
    )
    results = [
        ChangeResult(
            key=r.key,
            status=r.status,  # type: ignore[arg-type]
            outcome=r.outcome,
            error=ChangeError(**r.refusal.as_dict(get_language())) if r.refusal else None,
        )
        for r in done
    ]
    redirect = None
    for item, result in zip(payload.changes, done, strict=True):
        if item.kind == "close" and result.status in ("applied", "repeated"):
            redirect = reverse("caja", kwargs={"caja_id": caja_id})
            if result.status == "applied" and result.outcome is not None:
                _closed_message(request, result.outcome)
    return ChangesOut(
        results=results,
        sheet=_line_out(sheet_now(meeting)),
        at=timezone.now().isoformat(),
        redirect=redirect,
    )


def _closed_message(request: HttpRequest, outcome: dict[str, Any]) -> None:
    """The message the caja page shows after the close, as the web's close says it."""
    if not hasattr(request, "_messages"):
        return  # a script with a token: no page to show it on
    if outcome.get("difference"):
        messages.warning(
            request, _("Meeting closed with a cash difference; it has been recorded and flagged.")
        )
    else:
        messages.success(request, _("Meeting closed and posted to the books."))


@router.get(
    "/{int:caja_id}/meetings/{int:number}/sheet",
    response={200: dict[str, LineOut], **errors(403, 404)},
    operation_id="meeting_sheet_lines",
)
def meeting_sheet_lines(request: HttpRequest, caja_id: int, number: int) -> dict[str, LineOut]:
    """Every member's line as the server holds it now (what another phone sees)."""
    return _line_out(sheet_now(_recorded_meeting(request, caja_id, number)))
