"""Reads of the missions app that pages need, one module per area (board, inbox, ...)."""
