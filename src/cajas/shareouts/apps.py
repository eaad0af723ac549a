from django.apps import AppConfig


class ShareOutsConfig(AppConfig):
    name = "cajas.shareouts"
    verbose_name = "Share-outs"
    default_auto_field = "django.db.models.BigAutoField"
