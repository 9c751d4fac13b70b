"""Tornado handlers of the studio's REST API, one module per domain."""
