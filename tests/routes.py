"""Walk the project's URL resolver: every route with its name, kwargs and view."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass
class Route:
    name: str  # "namespace:name" when namespaced
    route: str  # the joined pattern, for messages
    kwargs: list[str]
    callback: object
    is_api: bool

    @property
    def view_class(self):
        return getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)


def _kwarg_names(pattern) -> list[str]:
    conv = getattr(pattern, "converters", None)
    if conv:
        return list(conv)
    regex = getattr(pattern, "regex", None)
    return list(regex.groupindex) if regex is not None else []


def iter_routes(resolver=None, prefix="", kwargs=(), namespace=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        route = prefix + str(p.pattern)
        names = list(kwargs) + _kwarg_names(p.pattern)
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}{p.namespace}:"
            yield from iter_routes(p, route, names, ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}{p.name}" if p.name else ""
            yield Route(name=name, route=route, kwargs=names, callback=p.callback,
                        is_api=route.startswith("api/v1/"))
