"""`make bench` (API): the median time of the API's answer for a caja's balances
(``GET /api/v1/cajas/<id>/balances`` with a token, over Django's test client: the whole
middleware stack, the token lookup, the access log row, JSON), against a floor from the same
run: the same selectors called directly (scope, members' lines, the caja's summary), on
whatever database DATABASE_URL selects. The caja is the standard one of scripts/bench.py
(40 members, 20 loans). Set BENCH_ROUNDS to change the number of warm requests (default 50).
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cajas.settings")
django.setup()

from bench import build_caja  # noqa: E402  (scripts/bench.py, next to this one)
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from cajas.access.selectors import (  # noqa: E402
    caja_get_for_user,
    membership_of_user,
    user_sees_all_members,
)
from cajas.api.tokens import token_create  # noqa: E402
from cajas.ledger.selectors import caja_summary  # noqa: E402
from cajas.meetings.selectors import member_lines  # noqa: E402
from cajas.members.models import Membership  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "50"))


def _floor(user: User, caja_id: int) -> float:
    start = time.perf_counter()
    caja = caja_get_for_user(user=user, caja_id=caja_id)
    sees_all = user_sees_all_members(user=user, caja=caja)
    own = None if sees_all else membership_of_user(user=user, caja=caja)
    member_lines(caja=caja, only=own)
    caja_summary(caja=caja)
    return time.perf_counter() - start


def main() -> int:
    call_command("migrate", interactive=False, verbosity=0)
    caja_id = build_caja()
    user = User.objects.create_user(username=f"bench-{time.time_ns()}", password="x" * 12)
    treasurer = Membership.objects.get(caja_id=caja_id, number=2)
    treasurer.person.user = user
    treasurer.person.save(update_fields=["user"])
    _row, token = token_create(user=user, name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    url = f"/api/v1/cajas/{caja_id}/balances"
    for _ in range(3):  # warm-up
        assert client.get(url).status_code == 200
        _floor(user, caja_id)
    answers, floors = [], []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        response = client.get(url)
        answers.append(time.perf_counter() - start)
        assert response.status_code == 200 and len(response.json()["members"]) == 40
        floors.append(_floor(user, caja_id))
    api_ms = statistics.median(answers) * 1000
    floor_ms = statistics.median(floors) * 1000
    print(
        f"{connection.vendor:<10} API balances of a caja (40 members): median {api_ms:6.2f} ms "
        f"over {ROUNDS} warm requests\n"
        f"{'':<10} floor (the same selectors, called directly) {floor_ms:6.2f} ms: "
        f"ratio {api_ms / floor_ms:4.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
