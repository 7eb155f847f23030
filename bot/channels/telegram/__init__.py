"""Telegram: one bot account per inbox, as a channel package (settings, parsing, sending,
receiving by webhook or long polling)."""
