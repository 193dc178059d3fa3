"""Notifications: what to tell whom (compose) and getting it there (send)."""
