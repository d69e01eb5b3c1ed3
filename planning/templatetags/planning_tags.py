from django import template

register = template.Library()


@register.filter
def who(user, empty="—"):
    """A person's name, else e-mail; `empty` when there is nobody."""
    if not user:
        return empty
    return user.name or user.email


@register.simple_tag
def phase_heading(phase: str) -> str:
    """A 30-60-90 phase key ("0-30") as its heading, the range in words ("Days 0 to 30"; in
    Arabic "from 0 to 30"), so no dash between two numbers is reordered on a right-to-left
    page."""
    from django.utils.translation import gettext

    first, _sep, last = str(phase).partition("-")
    if not last:
        return gettext("Days %(days)s") % {"days": phase}
    return gettext("Days %(first)s to %(last)s") % {"first": first, "last": last}
