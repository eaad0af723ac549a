from django.apps import AppConfig


class CorrectionsConfig(AppConfig):
    name = "cajas.corrections"
    label = "corrections"
