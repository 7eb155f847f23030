"""The key layout of both stores, in one place: the names every stored record is found by.

On Redis a record's key is ``<prefix>:<part>:…`` (``bot:conv:7``), joined by
:class:`RedisKeys` from the parts below, the way aiogram's and arq's key builders join
theirs. Both stores also keep the same names inside their tables and hashes: settings
(``pref:…``), seen keys, leases and token buckets; those are built here too. A stored key
never changes: a store written by an earlier release is read with these same names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.models import ConversationKey

SEPARATOR = ":"
DEFAULT_PREFIX = "bot"

# -- Redis key parts: <prefix>:<part>[:<id>] --------------------------------------------------
SEQ = "seq"                     # seq:<kind>, the id counter of conversations, messages…
SEEN = "seen"                   # seen:<key>, expiring: see "seen keys" below
LOCK = "lock"
CUSTOMER = "customer"           # customer:<conversation key>
CONV = "conv"                   # conv:<id>, a conversation document
CONVS = "convs"                 # every conversation id
CONV_BY_KEY = "convbykey"       # convbykey:<conversation key>: its current conversation
CONV_BY_THREAD = "convbythread"
MSG = "msg"                     # msg:<id>, a message document
MSGS = "msgs"                   # msgs:<conversation id>: its message ids
MSG_BY_CHANNEL_ID = "msgbychan"
MSG_BY_SLACK_TS = "msgbyslackts"  # a message by its Slack channel and ts
MSG_BY_TS = "msgbyts"           # by ts alone: messages stored without their Slack channel
JOB = "job"                     # job:<id>, a job hash
JOB_DEDUPE = "jobdedupe"
QUEUE = "queue"                 # queue:<queue name>, see QUEUE_OF_* below
READY = "ready"
RUNNING = "running"
LIVE = "live"
FAILED = "failed"
BUCKET = "bucket"               # bucket:<bucket name>
LEAD = "lead"
LEADS = "leads"
LEAD_BY_CONV = "leadbyconv"
POOL = "pool"
POOL_CURSOR = "poolcursor"
POOLS = "pools"
SETTINGS = "settings"           # one hash: <setting name> → JSON
DUE = "due"
LEASE = "lease"                 # lease:<lease name>
LOG = "log"                     # log:<log name>
CACHE = "cache"                 # cache:<key>: short-lived values (billing context)
# A job's queue: its ordering key's, or its own when it has none (the Lua scripts name
# them the same way).
QUEUE_OF_ORDERING_KEY = "o:"
QUEUE_OF_JOB = "j:"


@dataclass(frozen=True, slots=True)
class RedisKeys:
    """Joins the Redis keys of one store (its ``prefix``, so several share a database)."""

    prefix: str = DEFAULT_PREFIX

    def key(self, *parts: str | int) -> str:
        """``key(CONV, 7)`` is ``bot:conv:7``."""
        return SEPARATOR.join([self.prefix, *map(str, parts)])

    def everything(self) -> str:
        """A SCAN pattern matching every key of this store, and no other's."""
        return re.sub(r"([*?\[\]\\])", r"\\\1", self.prefix) + SEPARATOR + "*"


# -- settings (a table on SQLite, the SETTINGS hash on Redis) --------------------------------
PREFERENCE = "pref"


def preference(name: str, inbox: str = "") -> str:
    """A preference's setting: desk-wide (``pref:pause``), or one inbox's own value
    (``pref:inbox:acme:pause``)."""
    if inbox:
        return SEPARATOR.join([PREFERENCE, "inbox", inbox, name])
    return SEPARATOR.join([PREFERENCE, name])


# -- seen keys (the seen table on SQLite, SEEN keys on Redis) --------------------------------
# Channels name their own events' keys (their conversation key and message id); the desk's
# are these.
HEALTH_PING = "health:ping"  # the SQLite health check's write


def slack_delivery(event_id: str, attempt: int) -> str:
    """One delivery attempt of a Slack event (Slack numbers its retries)."""
    return f"slack:{event_id}:{attempt}"


def lifecycle_deadline(conversation_id: int, transition: str, deadline: str) -> str:
    """A lifecycle transition fired for one deadline of a conversation."""
    return f"lifecycle:{conversation_id}:{transition}:{deadline}"


def away_reply(conversation_id: int, pause_id: str) -> str:
    """The away reply of one pause to one conversation."""
    return f"away:{conversation_id}:{pause_id}"


def out_of_hours_reply(conversation_id: int, period: str) -> str:
    """The out-of-hours reply of one closed period to one conversation."""
    return f"closed:{conversation_id}:{period}"


def intake_closed_reply(key: ConversationKey, day: str) -> str:
    """The intake-closed answer to one customer on one day."""
    return f"intake_closed:{key}:{day}"


# -- leases and token buckets ----------------------------------------------------------------
SWEEPER_LEASE = "lifecycle-sweeper"
SLACK_BUCKET = "slack:"  # followed by the inbox scope of the ordering key (each its channel)
CHAT_BUCKET = "chat:"    # followed by the ordering key (one customer chat)
