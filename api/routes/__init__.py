"""HTTP routes, one module per resource; ``api.main`` includes them in ``ROUTERS`` order."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.routing import APIRoute

from api.limits import check_json_body
from api.security import bearer_scheme, check_access


class GuardedRoute(APIRoute):
    """Key and rate limit first, then the JSON body, then FastAPI's validation: a client
    without a key gets 401 whatever it sends."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            check_access(request)
            await check_json_body(request)
            return await handler(request)

        return run


def guarded_router(tag: str) -> APIRouter:
    """A router for /api/* (except health) and /v1/*."""
    return APIRouter(route_class=GuardedRoute, dependencies=[Depends(bearer_scheme)], tags=[tag])
