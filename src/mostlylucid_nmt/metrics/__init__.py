"""Prometheus metrics: `exporter` defines them and observes the core; `multiprocess` shares them across
gunicorn workers.

Nothing is imported here on purpose: gunicorn's master imports `multiprocess` before prometheus_client may be
imported (see that module).
"""
