"""The interactive documentation (/docs: Swagger UI, /redoc: ReDoc), served whole from our own origin.

FastAPI's default pages load Swagger UI and ReDoc from a CDN: on an intranet without internet
they are blank, and a page where people paste API keys would run a third party's script. The
assets come from the `fastapi-offline` package instead (Swagger UI's bundle and CSS, ReDoc's
standalone bundle, pinned in pyproject.toml), mounted under `/docs-assets`.

Each page carries a Content-Security-Policy that allows script only from our origin plus the
page's one inline start-up script (by a per-response nonce), and connections only to our origin:
even a tampered asset could not send a pasted key elsewhere. Swagger UI's online validator
badge is turned off (it would call out to validator.swagger.io) and ReDoc takes no web fonts. ReDoc's
menu footer always asks for Redocly's logo from their CDN: the policy blocks it before any request
leaves the browser (a console notice; ReDoc then leaves the image out).
"""

from __future__ import annotations

import secrets
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS_URL = "/docs-assets"
ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"

# Inline styles: Swagger UI and ReDoc both style elements from script. Workers from blob: ReDoc's search.
_CSP = (
    "default-src 'none'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _secured(page: HTMLResponse) -> HTMLResponse:
    """The page with a nonce on its inline scripts and the policy that names it."""
    nonce = secrets.token_urlsafe(16)
    html = bytes(page.body).decode("utf-8").replace("<script>", f'<script nonce="{nonce}">')
    headers = {"Content-Security-Policy": _CSP.format(nonce=nonce), "Referrer-Policy": "no-referrer"}
    return HTMLResponse(html, headers=headers)


def install(app: FastAPI, *, openapi_url: str, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """Mounts the assets and adds the two pages (and Swagger UI's OAuth2 redirect page) to `app`."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
    oauth2_redirect_url = docs_url + "/oauth2-redirect"

    def root(request: Request) -> str:
        return request.scope.get("root_path", "")

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        base = root(request)
        return _secured(
            get_swagger_ui_html(
                openapi_url=base + openapi_url,
                title=f"{app.title} - Swagger UI",
                swagger_js_url=f"{base}{ASSETS_URL}/swagger-ui-bundle.js",
                swagger_css_url=f"{base}{ASSETS_URL}/swagger-ui.css",
                swagger_favicon_url=f"{base}{ASSETS_URL}/favicon.png",
                oauth2_redirect_url=base + oauth2_redirect_url,
                swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": False},
            )
        )

    @app.get(oauth2_redirect_url, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return _secured(get_swagger_ui_oauth2_redirect_html())

    @app.get(redoc_url, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        base = root(request)
        return _secured(
            get_redoc_html(
                openapi_url=base + openapi_url,
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{base}{ASSETS_URL}/redoc.standalone.js",
                redoc_favicon_url=f"{base}{ASSETS_URL}/favicon.png",
                with_google_fonts=False,
            )
        )
