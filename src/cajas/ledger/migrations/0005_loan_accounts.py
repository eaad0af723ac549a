from django.db import migrations


def open_new_caja_accounts(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Cajas created before loans existed get the accounts the chart has gained since."""
    from cajas.ledger.chart import CAJA_ACCOUNTS

    Caja = apps.get_model("org", "Caja")
    Account = apps.get_model("ledger", "Account")
    for caja_id in Caja.objects.values_list("id", flat=True):
        have = set(Account.objects.filter(caja_id=caja_id).values_list("code", flat=True))
        Account.objects.bulk_create(
            [
                Account(caja_id=caja_id, code=code, kind=str(kind))
                for code, kind in CAJA_ACCOUNTS.items()
                if code not in have
            ]
        )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_account_loan_alter_journalentry_kind")]
    operations = [migrations.RunPython(open_new_caja_accounts, migrations.RunPython.noop)]
