from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cajas.core"
    label = "core"
