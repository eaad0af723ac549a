"""``cajas entry reverse --caja ID --seq N --reason "…" [--amount 10.00] --by USERNAME``.

The program admin's correction of a closed meeting's entry: the reversal (and, with
``--amount``, the replacement for the right amount) is posted at once and recorded as an
approved correction, so it shows on the meeting's page and in the next minutes.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cajas.core.cli_support import id_arg
from cajas.core.errors import RuleViolation
from cajas.core.money import format_amount
from cajas.core.parsing import parse_text
from cajas.corrections.rules import REASON_MAX
from cajas.corrections.services import entry_correct
from cajas.org.cli_support import caja_from_arg


class Command(BaseCommand):
    help = (
        "Correct a closed meeting's entry: `entry reverse --caja ID --seq N --reason TEXT "
        "[--amount 10.00] --by USERNAME` (program admin)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        reverse = sub.add_parser("reverse", help="reverse an entry, and post the right amount")
        reverse.add_argument("--caja", required=True, help="caja id or code")
        reverse.add_argument(
            "--seq", required=True, type=id_arg("seq"), help="the entry's number (seq)"
        )
        reverse.add_argument("--reason", required=True, help="why (goes into the journal)")
        reverse.add_argument("--amount", help="the right amount, e.g. 10.00 (default: none)")
        reverse.add_argument("--by", required=True, help="the program admin's username")

    def handle(self, *args: Any, **options: Any) -> None:
        caja = caja_from_arg(options["caja"])
        try:
            correction = entry_correct(
                caja_id=caja.pk,
                seq=options["seq"],
                # the length is the rule's (ReasonTooLong); here only what cannot be stored
                reason=parse_text(options["reason"], field="reason", max_length=10 * REASON_MAX),
                amount=0 if options["amount"] is None else options["amount"],
                by=options["by"],
            )
        except RuleViolation as exc:
            # One line, both languages: `[code] mensaje / message`.
            raise CommandError(f"[{exc.code}] {exc}") from exc
        assert correction.reversal is not None
        self.stdout.write(
            f"Corrección n.º {correction.number} / correction #{correction.number}: "
            f"asiento n.º {correction.entry.seq} de la reunión n.º {correction.meeting.number}, "
            f"{format_amount(correction.posted_cents)} → {format_amount(correction.amount_cents)}"
        )
        self.stdout.write(
            f"  #{correction.reversal.seq} reversión / reversal of #{correction.entry.seq}"
        )
        if correction.replacement is not None:
            self.stdout.write(
                f"  #{correction.replacement.seq} {correction.replacement.memo} "
                f"({format_amount(correction.amount_cents)})"
            )
