"""The gunicorn worker class: uvicorn's, with in-flight requests given GRACEFUL_TIMEOUT to finish."""

from __future__ import annotations

from typing import Any

from uvicorn_worker import UvicornWorker


class ServiceWorker(UvicornWorker):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # uvicorn otherwise waits for open requests without limit and gunicorn's master SIGKILLs the worker at
        # graceful_timeout; bounding it in uvicorn lets the worker close connections and exit cleanly instead.
        self.config.timeout_graceful_shutdown = self.cfg.graceful_timeout
