from django.db import migrations


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    from cajas.loans.caps import SEED_CAPS

    RateCap = apps.get_model("loans", "RateCap")
    for cap in SEED_CAPS:
        RateCap.objects.get_or_create(
            segment=cap.segment,
            effective_from=cap.effective_from,
            defaults={
                "name_es": cap.name_es,
                "name_en": cap.name_en,
                "tea_percent": cap.tea_percent,
                "source": cap.source,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("loans", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
