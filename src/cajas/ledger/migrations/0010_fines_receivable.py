from django.db import migrations


def open_fines_receivable(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Cajas created before absence fines were a member's debt get the fines receivable."""
    Caja = apps.get_model("org", "Caja")
    Account = apps.get_model("ledger", "Account")
    have = set(Account.objects.filter(code="1201").values_list("caja_id", flat=True))
    Account.objects.bulk_create(
        [
            Account(caja_id=caja_id, code="1201", kind="asset")
            for caja_id in Caja.objects.values_list("id", flat=True)
            if caja_id not in have
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0009_fine_kinds")]
    operations = [migrations.RunPython(open_fines_receivable, migrations.RunPython.noop)]
