"""Text filters every app's templates may use."""

from django import template

from mos.display import isolate as _isolate

register = template.Library()


@register.filter
def isolate(value) -> str:
    """The value wrapped in Unicode isolates, so a Latin name inside an Arabic sentence (or the
    reverse) keeps its own direction and does not reorder the words around it."""
    return _isolate(str(value))
