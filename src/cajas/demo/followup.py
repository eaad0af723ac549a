"""The demo program's follow-up: the facilitators' visits to the cajas in trouble and the
members' answers about informal credit (the monitoring data a real program gathers by hand)."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth.models import User

from cajas.members.models import Membership
from cajas.monitoring.models import InformalCreditAnswer, SurveyMoment, VisitAction
from cajas.monitoring.services import visit_close, visit_record
from cajas.org.models import Caja
from cajas.shareouts.models import ShareOut

# Cajas in visible trouble, by index: what goes wrong (demo/build.py holds the meetings).
TROUBLE = {3: "low_attendance", 11: "cash_shortages", 22: "stopped_meeting", 30: "low_attendance"}
TODAY = dt.date(2026, 11, 20)


def informal_credit_answers(rng: random.Random, cajas: list[Caja]) -> None:
    """Asked on joining: about four in ten had borrowed from a "gota a gota". The first caja
    asked again at its share-out: far fewer still do."""
    answers = []
    for caja in cajas:
        ended = ShareOut.objects.filter(caja=caja).first()
        for m in Membership.objects.filter(caja=caja):
            used = rng.random() < 0.42
            answers.append(
                InformalCreditAnswer(
                    caja=caja,
                    membership=m,
                    moment=SurveyMoment.JOINING,
                    asked_on=m.joined_on,
                    used_informal_credit=used,
                )
            )
            if ended is not None:
                answers.append(
                    InformalCreditAnswer(
                        caja=caja,
                        membership=m,
                        moment=SurveyMoment.CYCLE_END,
                        asked_on=ended.date,
                        used_informal_credit=used and rng.random() < 0.3,
                    )
                )
    InformalCreditAnswer.objects.bulk_create(answers)


def follow_up_visits(rng: random.Random, cajas: list[Caja]) -> None:
    """The facilitators have visited the cajas in trouble: closed visits with their actions
    done, and the latest one still open with an action due."""
    facilitator = User.objects.get(username="facilitador")
    for index, caja in enumerate(cajas):
        if index not in TROUBLE:
            continue
        first = visit_record(
            caja=caja,
            visitor=facilitator,
            date=TODAY - dt.timedelta(days=75),
            reason="Seguimiento trimestral",
            checklist={
                "books": True,
                "cash": True,
                "minutes": True,
                "bylaws": False,
                "loans": index != 11,
            },
            findings="La directiva lleva los libros al día; algunos socios no conocen el "
            "reglamento.",
            actions=[("Leer el reglamento en la próxima reunión", TODAY - dt.timedelta(days=45))],
        )
        for action in VisitAction.objects.filter(visit=first):
            action.done_on = TODAY - dt.timedelta(days=50)
            action.save(update_fields=["done_on"])
        visit_close(visit=first, on=TODAY - dt.timedelta(days=50))
        visit_record(
            caja=caja,
            visitor=facilitator,
            date=TODAY - dt.timedelta(days=10),
            reason={
                "low_attendance": "Asistencia baja",
                "cash_shortages": "Faltantes de caja",
                "stopped_meeting": "La caja dejó de reunirse",
            }[TROUBLE[index]],
            checklist={
                "books": rng.random() < 0.5,
                "cash": False,
                "minutes": True,
                "bylaws": True,
                "loans": False,
            },
            findings="Se acordó un plan con la directiva.",
            actions=[
                ("Reunión con la directiva y la facilitadora", TODAY + dt.timedelta(days=7)),
                ("Arqueo con dos testigos en cada reunión", TODAY + dt.timedelta(days=30)),
            ],
        )
