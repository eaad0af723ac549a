from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "cajas.members"
    label = "members"
