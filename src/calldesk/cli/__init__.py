"""The command line: a thin front door onto the core, one module per area of work."""
