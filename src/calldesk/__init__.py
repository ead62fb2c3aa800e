"""calldesk: a terminal companion for tech-support phone agents."""

__version__ = "0.1.0"
