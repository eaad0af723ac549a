"""``cajas shareout preview|execute --caja ID``."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from cajas.core.cli_support import id_arg, rule_errors_as_command_errors
from cajas.core.money import decimal_string, parse_amount
from cajas.core.parsing import parse_id
from cajas.meetings.models import Meeting, MeetingStatus
from cajas.org.cli_support import caja_from_arg
from cajas.shareouts.services import Preview, shareout_execute, shareout_preview


def _reinvest(values: list[str]) -> dict[int, int]:
    result = {}
    for value in values:
        member, _, amount = value.partition("=")
        if not member.strip().isdigit() or not amount:
            raise CommandError(
                f"--reinvest SOCIO=MONTO, p. ej. 12=50.00, no «{value}» / "
                f"--reinvest MEMBER=AMOUNT, e.g. 12=50.00, not “{value}”"
            )
        result[parse_id(member, field="member")] = parse_amount(amount, field="reinvest")
    return result


def preview_json(preview: Preview) -> dict[str, Any]:
    plan = preview.plan
    return {
        "date": preview.on.isoformat(),
        "method": preview.method,
        "netting": plan.netting,
        "cash": decimal_string(plan.cash),
        "bank": decimal_string(plan.bank),
        "loans_outstanding": decimal_string(plan.loans_outstanding),
        "social_fund": decimal_string(plan.social_fund),
        "reserve_kept": decimal_string(plan.reserve_kept),
        "profit": decimal_string(plan.profit),
        "reserve": decimal_string(plan.reserve),
        "distributable": decimal_string(plan.distributable),
        "value_per_share": str(plan.value_per_share),
        "loans": [
            {"loan": x.number, "member": x.member, "owed": decimal_string(x.owed)}
            for x in preview.loans
        ],
        "payouts": [
            {
                "member": p.member,
                "shares": str(p.shares),
                "savings": decimal_string(p.savings),
                "profit": decimal_string(p.profit),
                "deductions": decimal_string(p.deductions),
                "reinvested": decimal_string(p.reinvested),
                "amount": decimal_string(p.amount),
            }
            for p in plan.payouts
        ],
    }


class Command(BaseCommand):
    help = "Share-out: `shareout preview --caja ID [--json]`, `shareout execute --caja ID`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        preview = sub.add_parser("preview", help="what each member would receive today")
        preview.add_argument("--caja", required=True)
        preview.add_argument("--json", action="store_true")
        preview.add_argument("--reinvest", action="append", default=[], metavar="MEMBER=AMOUNT")
        execute = sub.add_parser("execute", help="share out at the caja's open meeting")
        execute.add_argument("--caja", required=True)
        execute.add_argument(
            "--meeting", type=id_arg("meeting"), help="meeting number (default: the open one)"
        )
        execute.add_argument("--reinvest", action="append", default=[], metavar="MEMBER=AMOUNT")
        execute.add_argument("--by", default="cli", help="who executes it (for the journal)")

    @rule_errors_as_command_errors
    def handle(self, *args: Any, **options: Any) -> None:
        caja = caja_from_arg(options["caja"])
        reinvest = _reinvest(options["reinvest"])
        if options["action"] == "preview":
            preview = shareout_preview(caja=caja, on=timezone.localdate(), reinvest=reinvest)
            data = preview_json(preview)
            if options["json"]:
                self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
                return
            self.stdout.write(
                f"Repartible / distributable: {data['distributable']} USD · "
                f"valor por acción / value per share: {data['value_per_share']}"
            )
            for p in data["payouts"]:
                self.stdout.write(
                    f"{p['member']:>4}  ahorro {p['savings']:>10}  utilidad {p['profit']:>9}  "
                    f"descuentos {p['deductions']:>9}  recibe {p['amount']:>10}"
                )
            return
        meetings = Meeting.objects.filter(caja=caja)
        meeting = (
            meetings.filter(number=options["meeting"]).first()
            if options["meeting"]
            else meetings.filter(status=MeetingStatus.OPEN).first()
        )
        if meeting is None:
            raise CommandError(
                "Abra la reunión (asamblea) del reparto primero / Open the share-out (assembly) "
                "meeting first"
            )
        shareout = shareout_execute(
            meeting_id=meeting.pk, executed_by=options["by"], reinvest=reinvest
        )
        self.stdout.write(
            f"Reparto hecho en la reunión n.º {meeting.number}: "
            f"{decimal_string(shareout.distributable_cents)} USD a "
            f"{shareout.payouts.count()} socios. / Shared out at meeting #{meeting.number}."
        )
