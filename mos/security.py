"""Security headers Django does not set itself: Content-Security-Policy and Permissions-Policy
(settings.CONTENT_SECURITY_POLICY / PERMISSIONS_POLICY; an empty value sends none)."""

from axes.backends import AxesStandaloneBackend
from django.conf import settings


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        csp = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if csp and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = csp
        pp = getattr(settings, "PERMISSIONS_POLICY", "")
        if pp and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = pp
        return response


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check for web log-ins (the login form passes the request).
    A call without a request is code signing someone in (a management command, the test
    client's login()), not a guess over the network: nothing to throttle."""

    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def login_username(request, credentials) -> str:
    """The account a log-in attempt names (the login form's `username` field is the e-mail),
    case-folded so `Ada@x` and `ada@x` count as one account."""
    raw = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(raw).strip().lower()
