"""Operator bot: customer channels bridged into Slack threads."""

__version__ = "0.1.0"
