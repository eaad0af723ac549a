"""``cajas person export CODE [--pdf] [--out FILE]`` and ``cajas person erase CODE --reason …``.

The program admin answers a data-subject request (LOPDP) from the console: the export prints
(or writes) everything held about the person; the erasure blanks her personal data and keeps
the books verifiable. Both are written to the access log (user «console»).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cajas.access.models import AccessWhat
from cajas.access.services import access_log_write
from cajas.core.errors import RuleViolation
from cajas.members.models import Person
from cajas.privacy.erasure import person_erase
from cajas.privacy.subject import subject_export, subject_export_pdf


def _person(code: str) -> Person:
    person = Person.objects.filter(code=code).first()
    if person is None:
        raise CommandError(f"No existe la persona «{code}» / There is no person “{code}”")
    return person


class Command(BaseCommand):
    help = (
        "A person's data: `person export CODE [--pdf] [--out FILE]`, "
        "`person erase CODE --reason TEXT` (program admin)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="everything held about the person (JSON or PDF)")
        export.add_argument("code", help="the person's code, e.g. S-7K3Q9XMB")
        export.add_argument("--pdf", action="store_true", help="a PDF instead of JSON")
        export.add_argument("--out", help="write to this file (default: standard output)")
        erase = sub.add_parser("erase", help="erase the person's data (books stay verifiable)")
        erase.add_argument("code")
        erase.add_argument("--reason", required=True, help="e.g. the request and its date")

    def handle(self, *args: Any, **options: Any) -> None:
        person = _person(options["code"])
        if options["action"] == "erase":
            try:
                person_erase(person_id=person.pk, reason=options["reason"])
            except RuleViolation as exc:
                raise CommandError(f"[{exc.code}] {exc.es}\n[{exc.code}] {exc.en}") from exc
            self.stdout.write(
                f"Datos de {person.code} borrados / {person.code}'s data erased. "
                "Run `cajas verify` to check the books."
            )
            return
        access_log_write(user=None, what=AccessWhat.SUBJECT_EXPORT, person=person, detail="cli")
        if options["pdf"]:
            body = subject_export_pdf(person=person)
            if not options["out"]:
                sys.stdout.buffer.write(body)
                return
            Path(options["out"]).write_bytes(body)
        else:
            text = json.dumps(subject_export(person=person), ensure_ascii=False, indent=2)
            if not options["out"]:
                self.stdout.write(text)
                return
            Path(options["out"]).write_text(text + "\n", encoding="utf-8")
        self.stdout.write(f"{options['out']}")
