from django import template

register = template.Library()


@register.filter
def who(user, empty="—"):
    """A person's name, else e-mail; `empty` when there is nobody."""
    if not user:
        return empty
    return user.name or user.email
