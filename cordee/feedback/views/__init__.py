"""Views of the feedback app, one module per area: survey (public page), follow_up, plans, analytics."""
