from django.apps import AppConfig


class BackupConfig(AppConfig):
    name = "cajas.backup"
    verbose_name = "Backup and restore"
    default_auto_field = "django.db.models.BigAutoField"
