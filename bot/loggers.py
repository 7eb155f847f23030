"""Named loggers, one per subsystem. Never log tokens or message bodies."""

import logging

app = logging.getLogger("bot.app")
channels = logging.getLogger("bot.channels")
slack = logging.getLogger("bot.slack")
crm = logging.getLogger("bot.crm")
storage = logging.getLogger("bot.storage")
outbox = logging.getLogger("bot.outbox")
lifecycle = logging.getLogger("bot.lifecycle")
