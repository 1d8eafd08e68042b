"""Views of the invitations app."""
