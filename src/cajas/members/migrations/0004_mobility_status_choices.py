"""``mobility_status`` takes its choices from ``MobilityStatus`` (it accepted any text before).

Existing values written in another form of a choice (``"In process"``, ``" REFUGEE "``, the
English label) are rewritten as the choice's value. A value that matches no choice is left as
it is: the database does not enforce choices, and guessing a person's migratory status would be
worse than keeping what was recorded; ``full_clean`` names it the next time the person is saved.
"""

import cajas.core.fields
from django.db import migrations

CHOICES = [
    ("regular", "Regular migratory status"),
    ("in_process", "Regularisation in process"),
    ("irregular", "Irregular migratory status"),
    ("refugee", "Recognised refugee"),
    ("asylum_seeker", "Asylum seeker"),
    ("host_community", "Host community (not in human mobility)"),
]


def _normalised(text):
    return text.strip().lower().replace("-", "_").replace(" ", "_")


def statuses_as_choices(apps, schema_editor):
    Person = apps.get_model("members", "Person")
    known = {}
    for value, label in CHOICES:
        known[_normalised(value)] = value
        known[_normalised(label)] = value
    for person in Person.objects.exclude(mobility_status="").only("pk", "mobility_status"):
        value = person.mobility_status  # decrypted by the field ("" is stored as "")
        choice = known.get(_normalised(value))
        if choice is not None and choice != value:
            person.mobility_status = choice
            person.save(update_fields=["mobility_status"])


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0003_consents"),
    ]

    operations = [
        migrations.AlterField(
            model_name="person",
            name="mobility_status",
            field=cajas.core.fields.EncryptedTextField(
                blank=True, choices=CHOICES, default=""
            ),
        ),
        migrations.RunPython(statuses_as_choices, migrations.RunPython.noop),
    ]
