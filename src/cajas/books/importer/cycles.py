"""The ``cycles`` section."""

from __future__ import annotations

from cajas.books.format import show
from cajas.books.importer.shape import CYCLE
from cajas.books.importer.state import Plan
from cajas.books.importer.values import date_value, int_value
from cajas.org.models import Caja, Cycle, CycleStatus


def check_cycles(plan: Plan) -> None:
    open_count = 0
    for i, raw in enumerate(plan.doc["cycles"]):
        path = f"$.cycles[{i}]"
        if not CYCLE.check(raw, path, plan.errs):
            continue
        number = int_value(raw["number"], f"{path}.number", plan.errs, minimum=1)
        if raw["status"] not in CycleStatus.values:
            plan.errs.add(
                f"{path}.status", f"estado desconocido / unknown status {show(raw['status'])}"
            )
        open_count += raw["status"] == CycleStatus.OPEN
        if number in plan.cycles:
            plan.errs.add(f"{path}.number", f"número repetido / duplicate number {number}")
        started = date_value(raw["started_on"], f"{path}.started_on", plan.errs)
        ended = date_value(raw.get("ended_on"), f"{path}.ended_on", plan.errs, optional=True)
        if started and ended and ended < started:
            plan.errs.add(f"{path}.ended_on", "termina antes de empezar / ends before it starts")
        plan.cycles[number] = {"started": started, "ended": ended, "status": raw["status"]}
    if open_count > 1:
        plan.errs.add("$.cycles", "más de un ciclo abierto / more than one open cycle")


def write_cycles(plan: Plan, caja: Caja) -> dict[int, Cycle]:
    cycles = {
        n: Cycle.objects.create(
            caja=caja,
            number=n,
            started_on=c["started"],
            ended_on=c["ended"],
            status=c["status"],
        )
        for n, c in sorted(plan.cycles.items())
    }
    return cycles
