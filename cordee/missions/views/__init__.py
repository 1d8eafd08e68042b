"""Views of the missions app, one module per area: missions, deliverables, board, inbox, my_work."""
