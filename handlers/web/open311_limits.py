"""Each Open311 api_key's rate: a token bucket in this process's memory, ``per_minute``
requests at once and as many again each minute, refilled evenly. A restart forgets the
buckets, which is as good as a minute passing; several processes each keep their own (a
webhook leader and its standbys do not share clients' traffic anyway: one serves the API)."""

from __future__ import annotations

import math
import time
import weakref
from dataclasses import dataclass, field

from handlers.web.context import WebContext
from handlers.web.open311_params import Open311Error
from models.open311 import ApiClient


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class _Buckets:
    by_client: dict[int, _Bucket] = field(default_factory=dict)


# One set of buckets per web server (its context), gone with it.
_SERVERS: weakref.WeakKeyDictionary[WebContext, _Buckets] = weakref.WeakKeyDictionary()


def rate_limited(
    context: WebContext, client: ApiClient, per_minute: int, now: float | None = None
) -> None:
    """Take one request from ``client``'s bucket; 429 with the seconds to wait when empty."""
    moment = time.monotonic() if now is None else now
    buckets = _SERVERS.setdefault(context, _Buckets()).by_client
    bucket = buckets.setdefault(client.id, _Bucket(float(per_minute), moment))
    per_second = per_minute / 60.0
    bucket.tokens = min(float(per_minute), bucket.tokens + (moment - bucket.at) * per_second)
    bucket.at = moment
    if bucket.tokens < 1.0:
        wait = math.ceil((1.0 - bucket.tokens) / per_second)
        raise Open311Error(429, "rate_limited", retry_after=wait, seconds=wait)
    bucket.tokens -= 1.0
