"""Every error is an answer: /api/ errors in the API's JSON envelope, pages in the product's
own templates — never Django's debug pages (the technical 404 lists every URL pattern).

- `ErrorPagesMiddleware` (last in MIDDLEWARE) answers an unknown path and an Http404 with the
  product's 404, and an unhandled exception with the product's 500, in DEBUG too: Django shows
  its technical pages whenever DEBUG is on and would skip handler404/handler500. The
  exception is still logged with its traceback (django.request) and still signalled, so the
  test client re-raises it as before.
- handler400/403/404/500 (mos.urls) give the same answers when Django itself produces them
  (DEBUG off), e.g. a body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 in the envelope.

Decision: the product's 500 page is shown in DEBUG too. The README's first command runs with
DEBUG on, so the debug page (settings, source, local variables) would reach a newcomer's
browser; the traceback is in the console log, where `make run` prints it."""

from __future__ import annotations

import logging

from django.core import signals
from django.core.exceptions import (BadRequest, PermissionDenied, RequestDataTooBig,
                                    SuspiciousOperation, TooManyFieldsSent)
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import Resolver404, resolve

request_logger = logging.getLogger("django.request")


def is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def api_error(code: str, message: str, status: int) -> JsonResponse:
    """The API's documented envelope (mos.api_base._error), outside DRF."""
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def not_found(request, exception=None):
    if is_api(request):
        return api_error("not_found", "Not found.", 404)
    return render(request, "404.html", status=404)


def server_error(request):
    if is_api(request):
        return api_error("server_error", "Something went wrong on our side; it has been "
                         "logged. Retry later (writes with an Idempotency-Key are safe to "
                         "retry).", 500)
    # no context processors: the database may be what failed
    return HttpResponse(loader.get_template("500.html").render({}), status=500)


def bad_request(request, exception=None):
    if isinstance(exception, (RequestDataTooBig, TooManyFieldsSent)):
        if is_api(request):
            return api_error("too_large", "The request body is too large.", 413)
        return HttpResponse(loader.get_template("400.html").render({}), status=413)
    if is_api(request):
        return api_error("bad_request", "Bad request.", 400)
    return HttpResponse(loader.get_template("400.html").render({}), status=400)


def permission_denied(request, exception=None):
    if is_api(request):
        return api_error("permission_denied", "You do not have permission to do this.", 403)
    return render(request, "403.html", status=403)


class ErrorPagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            resolve(request.path_info)
        except Resolver404:
            return not_found(request)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Http404):
            return not_found(request)
        if isinstance(exception, PermissionDenied):
            return None  # Django's own handling: handler403, in DEBUG too
        if isinstance(exception, (SuspiciousOperation, BadRequest)):
            # DEBUG would show the technical page with a 400
            logging.getLogger("django.security").warning("%s: %s", type(exception).__name__,
                                                         exception)
            return bad_request(request, exception)
        request_logger.error("Internal Server Error: %s", request.path,
                             exc_info=(type(exception), exception, exception.__traceback__),
                             extra={"status_code": 500, "request": request})
        signals.got_request_exception.send(sender=None, request=request)
        return server_error(request)
