"""The ``bylaws`` section: every version, checked by the model's own validation."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from cajas.books.format import BYLAWS_FIELDS
from cajas.books.importer.shape import BYLAWS
from cajas.books.importer.state import Plan
from cajas.org.models import Bylaws


def check_bylaws(plan: Plan) -> None:
    versions = plan.doc["bylaws"]
    if not isinstance(versions, list) or not versions:
        plan.errs.add("$.bylaws", "se necesita al menos una versión / at least one version needed")
        return
    for i, raw in enumerate(versions):
        path = f"$.bylaws[{i}]"
        if not BYLAWS.check(raw, path, plan.errs):
            continue
        values = {k: raw[k] for k in BYLAWS_FIELDS if k in raw}
        bylaws = Bylaws(
            version=raw["version"],
            effective_from=raw["effective_from"],
            approved_on=raw["approved_on"],
            **values,
        )
        try:
            bylaws.full_clean(exclude=["caja"], validate_constraints=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                plan.errs.add(f"{path}.{name}", "; ".join(messages))
            continue
        if bylaws.version != i + 1:
            plan.errs.add(
                f"{path}.version", f"se esperaba la versión {i + 1} / expected version {i + 1}"
            )
        plan.bylaws.append(bylaws)
