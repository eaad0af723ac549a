"""``cajas api token new --user NAME --name WHAT`` | ``list --user NAME`` |
``revoke --user NAME --id N``: a person's API tokens from the server's shell (the account page
``/accounts/api-tokens/`` does the same for herself). A new token is printed once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cajas.api.tokens import token_create, token_list, token_revoke
from cajas.core.cli_support import rule_errors_as_command_errors
from cajas.core.parsing import parse_id, parse_text


class Command(BaseCommand):
    help = "API tokens: `api token new|list|revoke --user NAME`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        token = sub.add_parser("token", help="a person's API tokens")
        actions = token.add_subparsers(dest="action", required=True)
        new = actions.add_parser("new", help="make a token (printed once)")
        new.add_argument("--user", required=True)
        new.add_argument("--name", required=True, help="what it is for")
        listing = actions.add_parser("list", help="the user's tokens")
        listing.add_argument("--user", required=True)
        revoke = actions.add_parser("revoke", help="revoke a token by its id")
        revoke.add_argument("--user", required=True)
        revoke.add_argument("--id", required=True)

    @rule_errors_as_command_errors
    def handle(self, *args: Any, **options: Any) -> None:
        username = parse_text(options["user"], field="username", max_length=150, required=True)
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No existe el usuario «{username}» / There is no user “{username}”")
        if options["action"] == "new":
            _row, token = token_create(user=user, name=options["name"])
            self.stdout.write(token)
        elif options["action"] == "list":
            for row in token_list(user=user):
                used = row.last_used_at.isoformat() if row.last_used_at else "-"
                state = f"revoked {row.revoked_at.isoformat()}" if row.revoked_at else "active"
                self.stdout.write(
                    f"{row.pk}\t{row.prefix}…\t{row.name}\t{row.created_at.isoformat()}\t{used}\t{state}"
                )
        else:
            row = token_revoke(user=user, token_id=parse_id(options["id"], field="id"))
            self.stdout.write(f"{row.pk} revocado / revoked")
