"""``cajas accesslog purge [--days N]``: delete access-log rows older than the retention period
(``CAJAS_ACCESS_LOG_DAYS``, 730 days unless set). Run it from cron, e.g. once a day."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from cajas.access.services import access_log_purge


class Command(BaseCommand):
    help = "Purge the personal-data access log: `accesslog purge [--days N]`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        purge = sub.add_parser("purge", help="delete rows older than the retention period")
        purge.add_argument("--days", type=int, help="keep this many days (default: the setting)")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else settings.CAJAS_ACCESS_LOG_DAYS
        deleted = access_log_purge(days=days)
        self.stdout.write(
            f"{deleted} registros de acceso de más de {days} días borrados / "
            f"{deleted} access-log rows older than {days} days deleted"
        )
