from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "cajas.org"
    label = "org"
