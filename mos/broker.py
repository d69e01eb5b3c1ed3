"""What sending a Celery task raises when the broker (Redis) is down or unreachable: one list,
used by every place that sends work and must answer the user instead of failing."""

from __future__ import annotations

from kombu.exceptions import OperationalError as _KombuOperationalError
from redis.exceptions import ConnectionError as _RedisConnectionError
from redis.exceptions import TimeoutError as _RedisTimeoutError

BROKER_ERRORS: tuple[type[BaseException], ...] = (
    _KombuOperationalError, _RedisConnectionError, _RedisTimeoutError, OSError)
