"""Forms of client communication, one module per area."""
