from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "cajas.imports"
    label = "imports"
