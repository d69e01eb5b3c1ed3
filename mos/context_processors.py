"""What the navigation shell needs on every page: the workspace switcher and nav permissions."""

from .nav import nav_for
from .roles import PERMISSIONS


def shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .selectors import user_workspaces

    actor = getattr(request, "actor", None)
    return {
        "my_workspaces": user_workspaces(user),
        "workspace": getattr(request, "workspace", None),
        "membership": getattr(request, "membership", None),
        # perms.crm_view etc.: what the nav shows is what the role may open
        "nav": nav_for(request),
        "can": {p.replace(".", "_"): actor.can(p) for p in PERMISSIONS} if actor else {},
    }
