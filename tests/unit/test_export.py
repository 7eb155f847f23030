"""``python -m bot leads export`` as a real subprocess over a SQLite file."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bot.export import export_format, export_leads
from storage.sqlite import SqliteStorage
from tests.support.factories import lead

ROOT = Path(__file__).resolve().parents[2]


async def filled_store(path: Path) -> list[int]:
    store = await SqliteStorage.from_url(f"sqlite:///{path}")
    try:
        ids = []
        for i in range(3):
            made, _ = await store.create_lead(replace(
                lead(i + 1, owner=f"U{i}"), email=f"c{i}@example.com", tags=("vip", "fr"),
                description="line one\nline \"two\", with comma"))
            ids.append(made.id)
        first = await store.get_lead(ids[0])
        assert first is not None
        first.activity = [{"kind": "transcript", "at": "2026-11-02T09:00:00+00:00",
                           "author": "U1", "text": "Ann: hello\nU1: hi"},
                          {"kind": "note", "at": "2026-11-02T09:05:00+00:00",
                           "author": "U1", "text": "called back"}]
        await store.save_lead(first)
        return ids
    finally:
        await store.close()


async def run_export(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    env = {"STORAGE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
           "PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "leads", "export", *args, cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_jsonl_has_every_lead_with_its_activity(tmp_path: Path) -> None:
    ids = await filled_store(tmp_path / "bot.sqlite3")
    code, out, err = await run_export(tmp_path, "--format", "jsonl")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in rows] == ids
    first = rows[0]
    assert (first["owner"], first["status"], first["source"]) == ("U0", "New", "Telegram")
    assert first["conversation_id"] == 1 and first["created_by"] == "U1"
    assert first["customer"]["email"] == "c0@example.com" and first["first_name"] == "Ann"
    assert first["tags"] == ["vip", "fr"] and first["external_id"] == ""
    assert [e["kind"] for e in first["activity"]] == ["transcript", "note"]
    assert "Ann: hello" in first["activity"][0]["text"]


async def test_csv_has_a_header_and_one_row_per_lead(tmp_path: Path) -> None:
    ids = await filled_store(tmp_path / "bot.sqlite3")
    code, out, err = await run_export(tmp_path, "--format=csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [int(r["id"]) for r in rows] == ids
    assert rows[0]["activity_count"] == "2" and rows[0]["last_activity_text"] == "called back"
    assert rows[0]["tags"] == "vip;fr" and rows[1]["activity_count"] == "0"
    assert rows[2]["description"] == "line one\nline \"two\", with comma"


async def test_export_reads_the_store_it_is_given_and_leaves_it_open(tmp_path: Path) -> None:
    ids = await filled_store(tmp_path / "bot.sqlite3")
    store = await SqliteStorage.from_url(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    try:
        out = io.StringIO()
        assert await export_leads(store, "jsonl", out) == 3
        assert [json.loads(line)["id"] for line in out.getvalue().splitlines()] == ids
        assert len(await store.list_leads()) == 3  # the caller, not the export, closes it
    finally:
        await store.close()


@pytest.mark.parametrize("args", [(), ("--format", "xml"), ("--format",), ("--csv",)])
async def test_bad_format_exits_2_with_a_message(tmp_path: Path, args: tuple[str, ...]) -> None:
    code, out, err = await run_export(tmp_path, *args)
    assert code == 2 and out == "" and "--format csv" in err


@pytest.mark.parametrize(("argv", "expected"), [
    (["--format", "csv"], "csv"), (["--format=jsonl"], "jsonl"), (["--format", "CSV"], None),
    (["--format", "csv", "x"], None), ([], None)])
def test_export_format(argv: list[str], expected: str | None) -> None:
    assert export_format(argv) == expected
