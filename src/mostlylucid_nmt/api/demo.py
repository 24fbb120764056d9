"""The demo page: a static page (shipped in the package) that talks to this server's own EasyNMT API.

`/` redirects to it. EasyNMT had no `/` route, so no existing client depends on what `/` answers.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, HTTPException
from fastapi.responses import RedirectResponse, Response

router = APIRouter(include_in_schema=False)

_FILES = resources.files("mostlylucid_nmt.api") / "static" / "demo"
_MEDIA_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "demo.js": "text/javascript; charset=utf-8",
    "demo.css": "text/css; charset=utf-8",
}
# Read once: the files are small and fixed for the life of the process.
_CONTENT = {name: (_FILES / name).read_bytes() for name in _MEDIA_TYPES}
# The page loads nothing from elsewhere; say so to the browser too.
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}


def _file(name: str) -> Response:
    return Response(_CONTENT[name], media_type=_MEDIA_TYPES[name], headers=_HEADERS)


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/demo")


@router.get("/demo")
async def demo_page() -> Response:
    return _file("index.html")


@router.get("/demo/{asset}")
async def demo_asset(asset: str) -> Response:
    if asset not in _MEDIA_TYPES or asset == "index.html":
        raise HTTPException(404, f"the demo page has no file {asset!r}")
    return _file(asset)
