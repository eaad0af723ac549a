"""What the import reads: who already holds a document in the program, and an import job."""

from __future__ import annotations

import json
from typing import Any

from cajas.imports.check import Candidate
from cajas.imports.models import MemberImport
from cajas.imports.rules import document_key
from cajas.members.models import Membership, Role


def document_holders(*, program_id: int) -> dict[str, tuple[str, str]]:
    """Every document (``type:NUMBER``) held by someone who is or was a member of a caja of
    the program → her pseudonymous code and the caja's name. The numbers are encrypted, so
    they are compared here, after reading, never in SQL."""
    rows = (
        Membership.objects.filter(caja__program_id=program_id, person__erased_at__isnull=True)
        .select_related("person", "caja")
        .order_by("-left_on", "pk")
    )
    found: dict[str, tuple[str, str]] = {}
    for m in rows:
        key = document_key(m.person.document_type, m.person.document_number or "")
        if key:
            found.setdefault(key, (m.person.code, m.caja.name))
    return found


def import_of(*, import_id: int, caja_id: int, user_id: int) -> MemberImport | None:
    """An import of this caja by this user (nobody else sees what she uploaded)."""
    return MemberImport.objects.filter(pk=import_id, caja_id=caja_id, created_by_id=user_id).first()


def preview_rows(job: MemberImport) -> list[dict[str, Any]]:
    """The rows that will be enrolled, as the preview lists them (no document or status)."""
    rows = []
    for data in json.loads(job.candidates or "[]"):
        c = Candidate.from_json(data)
        rows.append(
            {
                "row": c.row,
                "name": f"{c.given_names} {c.family_names}",
                "birth_date": c.birth_date,
                "role": Role(c.role).label,
                "consents": len(c.consents),
            }
        )
    return rows
