"""Consent records; the document type encrypted like the number.

The two consent dates of ``Person`` become ``Consent`` rows (``how = recorded``: who recorded
them was never kept) and are removed, so consents have one home; existing document types are
encrypted in place.
"""

import datetime as dt
import zoneinfo

import cajas.core.fields
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from cajas.core.fields import decrypt_text, encrypt_text

PLAIN_TYPES = {"none", "cedula", "foreign_id", "passport", "refugee_id", "visa", "other"}


def _noon(day):
    return dt.datetime.combine(day, dt.time(12), tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def forward(apps, schema_editor):
    connection = schema_editor.connection
    table = connection.ops.quote_name("members_person")
    Consent = apps.get_model("members", "Consent")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, document_type, sensitive_data_consent_on, credit_letter_consent_on "
            f"FROM {table}"
        )
        rows = cursor.fetchall()
        for pk, doc, sensitive_on, credit_on in rows:
            if doc in PLAIN_TYPES:
                cursor.execute(
                    f"UPDATE {table} SET document_type = %s WHERE id = %s", [encrypt_text(doc), pk]
                )
            for purpose, day in (("sensitive_data", sensitive_on), ("credit_letter", credit_on)):
                if day is None:
                    continue
                if isinstance(day, str):  # SQLite hands dates back as text
                    day = dt.date.fromisoformat(day)
                Consent.objects.create(
                    person_id=pk, purpose=purpose, given_at=_noon(day), how="recorded"
                )


def backward(apps, schema_editor):
    connection = schema_editor.connection
    table = connection.ops.quote_name("members_person")
    Consent = apps.get_model("members", "Consent")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, document_type FROM {table}")
        for pk, doc in cursor.fetchall():
            if doc and doc not in PLAIN_TYPES:
                cursor.execute(
                    f"UPDATE {table} SET document_type = %s WHERE id = %s", [decrypt_text(doc), pk]
                )
        for c in Consent.objects.filter(withdrawn_at__isnull=True):
            column = f"{c.purpose}_consent_on"
            if c.purpose == "whatsapp_receipts":
                continue
            cursor.execute(
                f"UPDATE {table} SET {column} = %s WHERE id = %s",
                [c.given_at.date().isoformat(), c.person_id],
            )


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0002_credit_letter_consent'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='person',
            name='erased_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='person',
            name='document_type',
            field=cajas.core.fields.EncryptedTextField(choices=[('none', 'No document'), ('cedula', 'Ecuadorian ID card (cédula)'), ('foreign_id', 'Foreign ID card'), ('passport', 'Passport'), ('refugee_id', 'Refugee ID'), ('visa', 'Visa'), ('other', 'Other document')], default='none'),
        ),
        migrations.CreateModel(
            name='Consent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('purpose', models.CharField(choices=[('sensitive_data', 'Recording my migratory status (sensitive data)'), ('credit_letter', 'A credit-history letter about me, to show a bank'), ('whatsapp_receipts', 'My meeting receipts sent by WhatsApp')], max_length=20)),
                ('given_at', models.DateTimeField()),
                ('how', models.CharField(choices=[('self', 'By the member, on her own login'), ('attested', 'By an officer, with the member present'), ('recorded', 'Recorded before consent records (who is not known)')], max_length=10)),
                ('attestation', models.TextField(blank=True, default='')),
                ('withdrawn_at', models.DateTimeField(blank=True, null=True)),
                ('withdrawn_how', models.CharField(blank=True, choices=[('self', 'By the member, on her own login'), ('attested', 'By an officer, with the member present'), ('recorded', 'Recorded before consent records (who is not known)')], max_length=10)),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='consents', to='members.person')),
                ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('withdrawn_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['person', 'purpose', 'given_at'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('withdrawn_at__isnull', True)), fields=('person', 'purpose'), name='one_consent_in_force_per_purpose'), models.CheckConstraint(condition=models.Q(models.Q(('how', 'attested'), _negated=True), models.Q(('attestation', ''), _negated=True), _connector='OR'), name='consent_attested_has_attestation')],
            },
        ),
        migrations.RunPython(forward, backward),
        migrations.RemoveField(
            model_name='person',
            name='credit_letter_consent_on',
        ),
        migrations.RemoveField(
            model_name='person',
            name='sensitive_data_consent_on',
        ),
    ]
