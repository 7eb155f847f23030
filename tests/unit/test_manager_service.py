"""The service behind the slash command: screening, background answers, shutdown."""

from __future__ import annotations

import pytest

from bot.access import Access
from bot.manager.commands import Parsed
from bot.manager.service import Answer, Caller, ManagerService
from bot.rendering import Renderer
from storage.base import BaseStorage
from tests.support.clock import FakeClock

MANAGER, OPERATOR = "UM", "UO"


@pytest.fixture
def service(sqlite_storage: BaseStorage) -> ManagerService:
    return ManagerService(storage=sqlite_storage, renderer=Renderer(), clock=FakeClock(),
                          access=Access(operators=frozenset({OPERATOR}), managers=(MANAGER,)))


@pytest.mark.parametrize(("user", "text", "starts"), [
    (OPERATOR, "pause", "Only managers"),
    ("USTRANGER", "list new", "Only operators"),
    (MANAGER, "list nope", "`nope` is not a conversation status"),
])
def test_screen_refuses_without_io(service: ManagerService, user: str, text: str,
                                   starts: str) -> None:
    screened = service.screen(Caller(user), text)
    assert isinstance(screened, Answer) and screened.text.startswith(starts)
    assert not screened.public


def test_screen_passes_what_may_run(service: ManagerService) -> None:
    assert isinstance(service.screen(Caller(OPERATOR), "stats 7d public"), Parsed)
    assert isinstance(service.screen(Caller(MANAGER), "pause for 1d"), Parsed)


async def test_answers_later_and_stop_waits_for_them(service: ManagerService) -> None:
    answers: list[Answer] = []

    async def reply(answer: Answer) -> None:
        answers.append(answer)

    parsed = service.screen(Caller(MANAGER), "default status Qualified public")
    assert isinstance(parsed, Parsed)
    service.answer_later(Caller(MANAGER), parsed, reply)
    await service.stop()
    assert [a.public for a in answers] == [True]
    assert answers[0].text == "Done: *default_status* New → Qualified"


async def test_a_failure_is_answered_not_raised(service: ManagerService,
                                                sqlite_storage: BaseStorage) -> None:
    answers: list[Answer] = []

    async def reply(answer: Answer) -> None:
        answers.append(answer)

    await sqlite_storage.close()  # the store is gone: reading fails
    parsed = service.screen(Caller(MANAGER), "")
    assert isinstance(parsed, Parsed)
    service.answer_later(Caller(MANAGER), parsed, reply)
    await service.stop()
    assert answers and answers[0].text.startswith(":warning: `/leads` failed on our side")
