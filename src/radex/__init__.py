"""RADEX: permission-aware question answering over Confluence, and an agent that tends it."""

__version__ = "0.1.0"
