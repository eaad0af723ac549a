"""The caja key on every caja-owned row (docs/scaling.md, issue 14 part 6): added, filled from
the parent row, then required."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("loans", "0002_seed_rate_caps"),
        ("org", "0004_caja_figures_stale"),
    ]

    operations = [
        migrations.AddField(
            model_name="loanguarantor",
            name="caja",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.caja",
            ),
        ),
        migrations.RunSQL(
            "UPDATE loans_loanguarantor SET caja_id = (SELECT p.caja_id FROM loans_loan p "
            "WHERE p.id = loans_loanguarantor.loan_id)",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="loanguarantor",
            name="caja",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.caja",
            ),
        ),
        migrations.AddField(
            model_name="loanvote",
            name="caja",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.caja",
            ),
        ),
        migrations.RunSQL(
            "UPDATE loans_loanvote SET caja_id = (SELECT p.caja_id FROM loans_loan p "
            "WHERE p.id = loans_loanvote.loan_id)",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="loanvote",
            name="caja",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.caja",
            ),
        ),
        migrations.AddField(
            model_name="installment",
            name="caja",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.caja",
            ),
        ),
        migrations.RunSQL(
            "UPDATE loans_installment SET caja_id = (SELECT p.caja_id FROM loans_loan p "
            "WHERE p.id = loans_installment.loan_id)",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="installment",
            name="caja",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.caja",
            ),
        ),
        migrations.AddField(
            model_name="restructuring",
            name="caja",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.caja",
            ),
        ),
        migrations.RunSQL(
            "UPDATE loans_restructuring SET caja_id = (SELECT p.caja_id FROM loans_loan p "
            "WHERE p.id = loans_restructuring.loan_id)",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="restructuring",
            name="caja",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.caja",
            ),
        ),
    ]
