"""``python -m bot leads export --format csv|jsonl``: every stored lead, to ``out``.

- ``jsonl``: one JSON object per line, the webhook's lead shape (:func:`bot.crm.base.lead_json`):
  every field, a ``customer`` block and the whole ``activity`` feed (transcript included).
- ``csv``: a header row, one row per lead. The feed is flattened to ``activity_count`` and
  the last entry (``last_activity_at``, ``last_activity_kind``, ``last_activity_text``);
  ``tags`` are joined with ``;``. Use ``jsonl`` for the full transcript.

Only the data goes to ``out``; logs go to the log handler. The store comes from the caller
(``bot/__main__.py`` opens it), so this module never builds one.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from typing import Any, TextIO

from bot import loggers
from bot.crm.base import lead_json
from bot.models import Lead
from storage.base import BaseStorage

FORMATS = ("csv", "jsonl")
USAGE = "usage: python -m bot leads export --format csv|jsonl"
BAD_FORMAT = f"leads export: expected --format csv or --format jsonl\n{USAGE}"
CSV_COLUMNS = (
    "id", "conversation_id", "owner", "status", "source", "created_by", "created_at",
    "first_name", "last_name", "username", "email", "phone", "company", "language", "channel",
    "description", "tags", "external_id", "activity_count", "last_activity_at",
    "last_activity_kind", "last_activity_text")


def export_format(argv: Sequence[str]) -> str | None:
    """``--format X`` or ``--format=X`` and nothing else. :return: X, or None when bad"""
    args = list(argv)
    if len(args) == 1 and args[0].startswith("--format="):
        args = args[0].split("=", 1)
    if len(args) == 2 and args[0] == "--format" and args[1] in FORMATS:
        return args[1]
    return None


async def export_leads(storage: BaseStorage, fmt: str, out: TextIO) -> int:
    """Write every lead in ``storage`` to ``out``; the caller closes the store.

    :param fmt: one of :data:`FORMATS` (see :func:`export_format`)
    :return: how many leads were written
    """
    leads = await storage.list_leads()
    if fmt == "jsonl":
        write_jsonl(leads, out)
    else:
        write_csv(leads, out)
    out.flush()
    loggers.crm.info("exported %d leads as %s", len(leads), fmt)
    return len(leads)


def write_jsonl(leads: Sequence[Lead], out: TextIO) -> None:
    for lead in leads:
        out.write(json.dumps(lead_json(lead), ensure_ascii=False) + "\n")


def write_csv(leads: Sequence[Lead], out: TextIO) -> None:
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for lead in leads:
        writer.writerow(csv_row(lead))


def csv_row(lead: Lead) -> dict[str, Any]:
    row = lead_json(lead)
    last = lead.activity[-1] if lead.activity else {}
    row.update(tags=";".join(lead.tags), activity_count=len(lead.activity),
               last_activity_at=last.get("at", ""), last_activity_kind=last.get("kind", ""),
               last_activity_text=last.get("text", ""))
    return row
