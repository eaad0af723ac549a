from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "cajas.ledger"
    label = "ledger"
