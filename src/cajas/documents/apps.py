from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "cajas.documents"
    verbose_name = "Documents"
