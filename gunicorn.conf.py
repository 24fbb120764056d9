"""Gunicorn configuration for `gunicorn -c gunicorn.conf.py app:app`, run from the repository root.

The settings and hooks live in the package (`mostlylucid_nmt/gunicorn_config.py`, whose `__all__` lists what
gunicorn reads) so that an installed copy can serve without this repository (`mostlylucid-nmt serve`); this
file only hands them to gunicorn.
"""

from mostlylucid_nmt.gunicorn_config import *  # noqa: F403
