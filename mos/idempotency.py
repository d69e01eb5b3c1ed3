"""Idempotency-Key for API writes: a retried request gets the first answer, never a second write.

Use it on a DRF view method:

    class ThingBulkView(APIView):
        @idempotent
        def post(self, request): ...

How a key is claimed (and why this way): the claim is an INSERT of the IdempotencyRecord
*inside the same transaction as the view's writes*. The unique constraint on (workspace,
endpoint, key) does the locking for us:

- a retry after the first request committed finds the record and replays it (no write);
- a retry that races the first one blocks on the unique index (PostgreSQL) until the first
  transaction ends: it then gets an IntegrityError and replays the committed answer, or, if the
  first one rolled back, its own INSERT goes through and it does the work;
- a crash or 5xx rolls back the writes and the claim together, so the client may retry.

There is no "pending" state to clean up and no window where the writes are committed but the
answer is not (which a claim in a separate transaction, or select_for_update on a row that
does not exist yet, would have).

As Stripe does it: the request is compared as parsed JSON (the same JSON with other
whitespace or key order is the same request; another body with the same key answers 422); a
request refused as a whole (any 4xx: bad envelope, no permission) rolls back with its claim,
so nothing is stored and a corrected retry with the same key does the work; every POST of the
API honours the header (WorkspaceScopedMixin wraps viewsets' POST handlers); keys are
forgotten after KEY_TTL (the beat schedule runs `purge_idempotency_keys`).
"""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http.request import RawPostDataException
from rest_framework.response import Response

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
KEY_TTL = timedelta(hours=24)


def _error(code: str, message: str, status: int) -> Response:
    return Response({"error": {"code": code, "message": message}}, status=status)


def _replay(record: IdempotencyRecord, request_hash: str) -> Response:
    if record.request_hash != request_hash:
        return _error("idempotency_key_reused",
                      "This Idempotency-Key was already used with a different request body.",
                      422)
    response = Response(record.response, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def _find(workspace, endpoint: str, key: str) -> IdempotencyRecord | None:
    return (IdempotencyRecord.objects
            .filter(workspace=workspace, endpoint=endpoint, key=key).first())


def request_fingerprint(request) -> str:
    """SHA-256 of the request as parsed JSON in a canonical form (sorted keys, no whitespace),
    so the same JSON written differently is the same request; a body that is not JSON is
    compared byte for byte."""
    try:
        raw = request._request.body
    except RawPostDataException:  # the body stream was consumed: use the parsed data
        raw = None
    if raw is not None:
        try:
            parsed = json.loads(raw) if raw.strip() else None
        except (ValueError, RecursionError):
            return hashlib.sha256(raw).hexdigest()
    else:
        parsed = request.data
    canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":"), default=str,
                           ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def idempotent(view_method):
    """Make a DRF view method honour the Idempotency-Key header (see the module docstring).

    Without the header the method runs as usual. The view's own writes must not commit on
    their own (they run inside the transaction opened here, as nested atomic blocks)."""

    if getattr(view_method, "_idempotent", False):
        return view_method

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key or getattr(request, "_idempotency_claimed", False):
            # no key, or an outer layer (the base viewset's POST) already holds this key's
            # claim for this request: a nested claim would find it and replay an empty answer
            return view_method(self, request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            return _error("invalid_idempotency_key",
                          f"The Idempotency-Key may be at most {MAX_KEY_LENGTH} characters.", 400)
        workspace = request.workspace
        endpoint = request.path
        request_hash = request_fingerprint(request)

        record = _find(workspace, endpoint, key)
        if record is not None:
            return _replay(record, request_hash)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    workspace=workspace, endpoint=endpoint, key=key,
                    request_hash=request_hash, status_code=0, response={})
                request._idempotency_claimed = True
                try:
                    response = view_method(self, request, *args, **kwargs)
                finally:
                    request._idempotency_claimed = False
                if response.status_code >= 400:
                    # refused as a whole (4xx) or failed (5xx): not an answer to repeat. Roll
                    # back the claim (and any write), so a corrected retry with this key works
                    transaction.set_rollback(True)
                    return response
                IdempotencyRecord.objects.filter(pk=record.pk).update(
                    status_code=response.status_code, response=response.data)
                return response
        except IntegrityError:
            # a concurrent request with the same key committed first: answer like it did
            record = _find(workspace, endpoint, key)
            if record is None:
                raise
            return _replay(record, request_hash)

    wrapper._idempotent = True
    return wrapper


def idempotent_handler(view, handler):
    """`handler` (a bound POST handler of `view`) honouring the Idempotency-Key header."""
    if getattr(handler, "_idempotent", False):
        return handler

    @functools.wraps(handler)
    def call(request, *args, **kwargs):
        return idempotent(lambda _view, req, *a, **k: handler(req, *a, **k))(
            view, request, *args, **kwargs)

    call._idempotent = True
    return call


def idempotency_records_purge(*, older_than) -> int:
    """Forget answers recorded before `older_than` (a datetime); returns how many."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=older_than).delete()
    return deleted
