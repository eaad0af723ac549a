from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "cajas.privacy"
    label = "privacy"
