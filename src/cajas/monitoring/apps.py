from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "cajas.monitoring"
    verbose_name = "Program monitoring"
    default_auto_field = "django.db.models.BigAutoField"
