from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "cajas.demo"
    label = "demo"
    verbose_name = "The demo program"
