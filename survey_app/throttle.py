"""Failure counters that slow attackers without locking anyone else out (SECURITY P-14, P-15).

Only failures are counted, and a request is checked against its counters only when it is
about to be judged a failure (a wrong class code) or before a password is tried at all, per
account *and* address: a school behind one address never loses its correct codes, and an
attacker who exhausts an account's tries from their address leaves its owner free to sign
in from theirs. Counters live in the limiter's storage (Redis in production), so they hold
across workers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from limits import parse
from werkzeug.exceptions import TooManyRequests

from survey_app.extensions import limiter

Rule = tuple[str, str]  # (limit such as "5 per 10 minutes", counter key)


def refuse_if_exhausted(rules: Sequence[Rule]) -> None:
    """Raises 429 with ``Retry-After`` when any counter has no tries left."""
    waits = []
    for limit, key in rules:
        item = parse(limit)
        if not limiter.limiter.test(item, key):
            reset = limiter.limiter.get_window_stats(item, key).reset_time
            waits.append(max(1, math.ceil(reset - time.time())))
    if waits:
        raise TooManyRequests(retry_after=max(waits))


def count_failure(rules: Sequence[Rule]) -> None:
    for limit, key in rules:
        limiter.limiter.hit(parse(limit), key)
