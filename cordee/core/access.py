"""The one exception every access function raises.

Each object kind has its fetch-with-permission function in its own app (`collectives/access.py`,
`clients/access.py`, `opportunities/access.py`, `missions/access.py`): it returns the object for a user
allowed to act on it, or raises `AccessDenied`. A subclass of Django's `PermissionDenied`, so a view
that lets it through answers 403, and the views' own checks (404 for outsiders) come first.
"""

from django.core.exceptions import PermissionDenied


class AccessDenied(PermissionDenied):
    """The user may not see or change this object (or it does not exist: both look the same)."""
