"""The Slack workspace: threads, cards, operator events."""
