from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "cajas.web"
    label = "web"
