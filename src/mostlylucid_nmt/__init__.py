"""mostlylucid-nmt: a self-hosted, EasyNMT-compatible machine translation service."""
