"""Benchmarks of mostlylucid-nmt: `make bench` (see bench/README.md). Never collected by pytest."""
