from django.db import migrations, models


def fill_balances(apps, schema_editor):  # type: ignore[no-untyped-def]
    from cajas.ledger.services import balances_rebuild

    Caja = apps.get_model("org", "Caja")
    for caja_id in Caja.objects.values_list("id", flat=True):
        balances_rebuild(caja_id=caja_id)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_immutability_triggers")]

    operations = [
        migrations.AddField(
            model_name="account",
            name="balance_cents",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunPython(fill_balances, migrations.RunPython.noop),
    ]
