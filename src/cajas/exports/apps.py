from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "cajas.exports"
    label = "exports"
    verbose_name = "Spreadsheet exports"
