from django.apps import AppConfig


class LoansConfig(AppConfig):
    name = "cajas.loans"
    verbose_name = "Loans"
    default_auto_field = "django.db.models.BigAutoField"
