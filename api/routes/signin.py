"""The sign-in page (/login), signing in (POST /auth/login, a form) and out (POST /auth/logout)."""

from __future__ import annotations

import html
import math
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import SettingsDep
from api.sessions import COOKIE
from db.accounts import LockedOut, SignInError, sign_in, utcnow

router = APIRouter(tags=["sign-in"])

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>登录 · 政策问答</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:sans-serif;background:#f5f6f8;display:flex;justify-content:center;padding-top:12vh}}
form{{background:#fff;padding:2em 2.5em;border-radius:8px;box-shadow:0 1px 4px #0002;min-width:18em}}
label{{display:block;margin:.8em 0 .3em}}input{{width:100%;padding:.5em;box-sizing:border-box}}
button{{margin-top:1.2em;width:100%;padding:.6em;background:#2563eb;color:#fff;border:0;border-radius:4px}}
.error{{color:#b91c1c}}</style></head><body><form method="post" action="/auth/login">
<h2>政策问答 · 登录</h2>{error}<label for="username">用户名</label>
<input id="username" name="username" autocomplete="username" required maxlength="64">
<label for="password">密码</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024">
<input type="hidden" name="next" value="{next}"><button id="sign-in" type="submit">登录</button></form></body></html>"""


def _page(next_path: str = "/", error: str = "", status: int = 200, headers: dict | None = None) -> HTMLResponse:
    message = f'<p class="error" id="sign-in-error">{html.escape(error)}</p>' if error else ""
    return HTMLResponse(PAGE.format(error=message, next=html.escape(_safe_next(next_path))), status_code=status,
                        headers=headers)


def _safe_next(path: str) -> str:
    """Only a path on this site: an absolute URL or //host here would make the page an open redirect."""
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else "/"


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(next: str = "/") -> HTMLResponse:
    return _page(next)


@router.post("/auth/login", responses={303: {"description": "signed in: the session cookie is set"},
                                       401: {"description": "wrong name or password"},
                                       429: {"description": "too many attempts, or the account is locked"}})
async def login(request: Request, settings: SettingsDep, username: Annotated[str, Form(max_length=200)],
                password: Annotated[str, Form(max_length=2048)], next: Annotated[str, Form(max_length=2048)] = "/"):
    """Sign in with a form; the reply sets a signed session cookie and redirects to ``next``."""
    caller = f"sign-in:{request.client.host if request.client else 'unknown'}"
    wait = request.app.state.signin_limiter.retry_after(caller)
    if wait is not None:
        return _page(next, "登录尝试过于频繁，请稍后再试。", 429, {"Retry-After": str(max(1, math.ceil(wait)))})
    engine = request.app.state.engine
    try:
        identity = await run_in_threadpool(sign_in, engine, username.strip(), password, settings.login_attempts,
                                           timedelta(minutes=settings.lockout_minutes))
    except LockedOut as err:
        seconds = max(1, math.ceil((err.until - utcnow()).total_seconds()))
        return _page(next, f"该账号因连续登录失败已被锁定，请于 {err.until:%H:%M}（UTC）后再试。", 429,
                     {"Retry-After": str(seconds)})
    except SignInError:
        return _page(next, "用户名或密码错误。", 401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(COOKIE, request.app.state.auth.config.signer.issue(identity.name),
                        max_age=int(settings.session_hours * 3600), httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")
    return response


@router.post("/auth/logout", include_in_schema=False)
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
