"""Views of the communication app, one module per area: recaps, calls, rituals, events, previews."""
