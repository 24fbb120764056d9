"""ASGI entry point: `gunicorn -c gunicorn.conf.py app:app` (or `uvicorn app:app`)."""

from mostlylucid_nmt.main import create_app

app = create_app()
