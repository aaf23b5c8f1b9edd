"""Every route of the app with the access it declares, for tests that must cover all routes.

A route declares its access through the dependencies of ``laotie.core.auth``, which carry
``__laotie_access__`` metadata; this module reads it from each route's dependency tree.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, get_args, get_origin

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from starlette.routing import Mount

from laotie.core.auth import Role

HARMLESS_ID = "999999"
# Mounted apps cannot declare access; these serve only public files.
PUBLIC_MOUNTS = {"/static"}


@dataclass(frozen=True)
class Access:
    kind: str  # "public", "authenticated" or "roles"
    roles: frozenset[Role] = frozenset()


def _markers(dependant: Dependant) -> Iterator[tuple[str, tuple[Role, ...]]]:
    marker = getattr(dependant.call, "__laotie_access__", None)
    if marker is not None:
        yield marker
    for sub in dependant.dependencies:
        yield from _markers(sub)


def declared_access(dependant: Dependant) -> Access | None:
    """The strictest access the route's dependency tree declares; None when it declares none."""
    markers = list(_markers(dependant))
    if not markers:
        return None
    role_sets = [frozenset(roles) for kind, roles in markers if kind == "roles"]
    if role_sets:
        # Several role gates (router- and route-level) must all let the caller through.
        return Access("roles", frozenset.intersection(*role_sets))
    if any(kind == "authenticated" for kind, _ in markers):
        return Access("authenticated")
    return Access("public")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    access: Access
    dependant: Dependant

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def is_page(self) -> bool:
        return not self.path.startswith("/api/")


def _framework_paths(app: FastAPI) -> set[str]:
    urls = (app.openapi_url, app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url)
    return {u for u in urls if u}


def audit_routes(app: FastAPI) -> tuple[list[Endpoint], list[str]]:
    """Every HTTP endpoint with its declared access, and the routes that declare none."""
    endpoints: list[Endpoint] = []
    undeclared: list[str] = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        path = context.path or ""
        if isinstance(route, APIRoute | APIWebSocketRoute):
            access = declared_access(context.dependant)
            methods = sorted(context.methods or {"WEBSOCKET"})
            if access is None:
                undeclared += [f"{m} {path}" for m in methods]
            elif isinstance(route, APIRoute):
                endpoints += [Endpoint(m, path, access, context.dependant) for m in methods if m != "HEAD"]
        elif isinstance(route, Mount):
            if path not in PUBLIC_MOUNTS:
                undeclared.append(f"MOUNT {path} (mounted apps cannot declare access)")
        elif path not in _framework_paths(app):
            undeclared.append(
                f"{sorted(getattr(context, 'methods', None) or [])} {path} (not a FastAPI route)"
            )
    return endpoints, undeclared


def path_params(dependant: Dependant) -> Iterator[tuple[str, object]]:
    for param in dependant.path_params:
        yield param.name, param.field_info.annotation
    for sub in dependant.dependencies:
        yield from path_params(sub)


def fill_path(endpoint: Endpoint, values: dict[str, str] | None = None) -> str:
    """The endpoint's URL with every path parameter filled: from ``values``, else the first choice
    of an enumerated parameter, else a harmless id."""
    url = endpoint.path
    for name, annotation in path_params(endpoint.dependant):
        if values and name in values:
            value = values[name]
        elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            value = str(next(iter(annotation)).value)
        elif get_origin(annotation) is Literal:
            value = str(get_args(annotation)[0])
        else:
            value = HARMLESS_ID
        url = url.replace(f"{{{name}}}", value)
    return url


def path_names(endpoint: Endpoint) -> set[str]:
    return {name for name, _ in path_params(endpoint.dependant)}
