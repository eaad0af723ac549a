from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "cajas.meetings"
    label = "meetings"
