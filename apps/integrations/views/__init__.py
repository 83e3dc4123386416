"""The integrations' pages, one module per concern: ``health`` (``/healthz``), ``sync_log`` (the sync log and its
operator actions), ``connect`` (connecting a client to Smint.io, disconnecting, a sync by hand)."""
