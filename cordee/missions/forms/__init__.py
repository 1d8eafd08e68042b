"""Forms of the missions app, one module per area (tasks, requests, ...)."""
