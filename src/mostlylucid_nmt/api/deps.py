"""FastAPI dependencies: the per-process services hung on app.state at start-up."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from mostlylucid_nmt.state import AppServices


def get_services(request: Request) -> AppServices:
    services: AppServices = request.app.state.services
    return services


Services = Annotated[AppServices, Depends(get_services)]
