from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "cajas.access"
    label = "access"
