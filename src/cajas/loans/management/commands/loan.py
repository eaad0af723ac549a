"""``cajas loan schedule``: the loan simulator on the command line (no database needed)."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cajas.core.cli_support import count_arg, rule_errors_as_command_errors
from cajas.core.money import decimal_string, parse_amount
from cajas.loans.caps import DEFAULT_SEGMENT, SEED_CAPS, seed_cap
from cajas.loans.schedule import DEFAULT_INFORMAL_MONTHLY_RATE
from cajas.loans.simulation import simulate
from cajas.org.terms import InterestMethod, LoanFrequency


def _fraction(value: str, name: str) -> Decimal:
    try:
        rate = Decimal(value)
    except InvalidOperation:
        rate = Decimal(-1)
    if not rate.is_finite() or rate < 0 or rate > 1:
        raise CommandError(
            f"--{name} es la tasa mensual como fracción entre 0 y 1 (0.02 = 2 %), no «{value}» / "
            f"--{name} is the monthly rate as a fraction between 0 and 1 (0.02 = 2 %), "
            f"not “{value}”"
        )
    return rate


class Command(BaseCommand):
    help = "Loans: `loan schedule --principal P --rate R --method M --term N --frequency F`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sched = sub.add_parser("schedule", help="a loan's installments, TEA and true cost")
        sched.add_argument("--principal", required=True, help="amount, e.g. 500 or 500.00")
        sched.add_argument("--rate", required=True, help="rate per month as a fraction: 0.02")
        sched.add_argument("--method", required=True, choices=[m.value for m in InterestMethod])
        sched.add_argument(
            "--term", required=True, type=count_arg(520, "term"), help="number of installments"
        )
        sched.add_argument(
            "--frequency", default="monthly", choices=[f.value for f in LoanFrequency]
        )
        sched.add_argument(
            "--segment",
            default=DEFAULT_SEGMENT,
            choices=[c.segment for c in SEED_CAPS],
            help="credit segment whose legal TEA cap applies",
        )
        sched.add_argument(
            "--informal-rate",
            default=str(DEFAULT_INFORMAL_MONTHLY_RATE),
            help="informal lender's flat rate per month (default 0.20)",
        )
        sched.add_argument("--json", action="store_true")

    @rule_errors_as_command_errors
    def handle(self, *args: Any, **options: Any) -> None:
        principal = parse_amount(options["principal"], field="principal")
        rate = _fraction(options["rate"], "rate")
        informal = _fraction(options["informal_rate"], "informal-rate")
        term = options["term"]
        if not 1 <= term <= 520:
            raise CommandError(
                "--term es el número de cuotas, de 1 a 520 / --term is the number of "
                "installments, 1 to 520"
            )
        result = simulate(
            principal=principal,
            monthly_rate=rate,
            method=options["method"],
            term=term,
            frequency=options["frequency"],
            cap=seed_cap(options["segment"]).tea_percent,
            informal_monthly_rate=informal,
        )
        if options["json"]:
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
            return
        self.stdout.write(" nº   días      cuota    interés    capital      saldo")
        for i in result.schedule.installments:
            self.stdout.write(
                f"{i.number:>3} {i.due_offset_days:>6} {decimal_string(i.payment):>10} "
                f"{decimal_string(i.interest):>10} {decimal_string(i.principal):>10} "
                f"{decimal_string(i.balance):>10}"
            )
        self.stdout.write(
            f"Interés total / total interest: {decimal_string(result.schedule.total_interest)}\n"
            f"TEA: {result.tea_percent} %  (tope legal / legal cap {result.cap_percent} %)"
            + ("  ¡SOBRE EL TOPE! / ABOVE THE CAP" if result.above_cap else "")
            + f"\nPrestamista informal / informal lender: {decimal_string(result.informal_cost)}"
            f"  → ahorro / saved: {decimal_string(result.saved_vs_informal)}"
        )
