"""The fake platform servers, driven by the real client libraries.

If these pass, the fakes speak the wire formats slack_sdk, slack-bolt and aiogram expect,
including their failure modes (platform errors, 429, 5xx, dropped connections).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import BotCommand, BufferedInputFile, InputMediaPhoto, Message, Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes import tg_updates
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackAPI]:
    async with FakeSlackAPI() as fake:
        yield fake


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI() as fake:
        yield fake


@pytest.fixture
async def bot(telegram: FakeTelegramAPI) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(telegram.url))
    bot = Bot(telegram.token, session=session)
    yield bot
    await bot.session.close()


async def until(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition never became true"
        await asyncio.sleep(0.01)


def web_client(fake: FakeSlackAPI, *, token: str = "xoxb-test", **kwargs: Any) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=fake.url, **kwargs)


# -- Slack Web API --------------------------------------------------------------------------


async def test_slack_auth_test_returns_identity_and_scopes(slack: FakeSlackAPI) -> None:
    response = await web_client(slack).auth_test()
    assert (response["user_id"], response["bot_id"], response["team_id"]) == (
        "UBOT", "BBOT", "T0001")
    assert "chat:write" in response.headers["x-oauth-scopes"]
    assert slack.calls_to("auth.test") == [{}]


async def test_slack_thread_update_and_reactions(slack: FakeSlackAPI) -> None:
    client = web_client(slack)
    root = await client.chat_postMessage(channel="C1", text="header",
                                         metadata={"event_type": "conv", "event_payload": {}})
    reply = await client.chat_postMessage(channel="C1", text="hi", thread_ts=root["ts"])
    await client.chat_update(channel="C1", ts=root["ts"], text="header v2")
    await client.reactions_add(channel="C1", name="eyes", timestamp=reply["ts"])
    with pytest.raises(SlackApiError) as again:
        await client.reactions_add(channel="C1", name="eyes", timestamp=reply["ts"])

    assert again.value.response["error"] == "already_reacted"
    assert float(reply["ts"]) > float(root["ts"])
    assert root["message"]["metadata"]["event_type"] == "conv"
    thread = slack.thread("C1", root["ts"])
    assert [m["text"] for m in thread] == ["header v2", "hi"]
    assert thread[0]["edited"] and thread[0]["reply_count"] == 1
    assert thread[1]["reactions"] == [{"name": "eyes", "users": ["UBOT"], "count": 1}]
    assert [m["text"] for m in slack.roots("C1")] == ["header v2"]
    assert len(slack.calls_to("reactions.add")) == 1
    assert ("reactions.add", "error:already_reacted") in slack.faults


async def test_slack_replies_history_and_delete(slack: FakeSlackAPI) -> None:
    client = web_client(slack)
    root = await client.chat_postMessage(channel="C1", text="root")
    await client.chat_postMessage(channel="C1", text="r1", thread_ts=root["ts"])
    doomed = await client.chat_postMessage(channel="C1", text="r2", thread_ts=root["ts"])
    await client.chat_delete(channel="C1", ts=doomed["ts"])

    replies = await client.conversations_replies(channel="C1", ts=root["ts"])
    history = await client.conversations_history(channel="C1")
    assert [m["text"] for m in replies["messages"]] == ["root", "r1"]
    assert [m["text"] for m in history["messages"]] == ["root"]
    with pytest.raises(SlackApiError, match="message_not_found"):
        await client.chat_update(channel="C1", ts=doomed["ts"], text="too late")


async def test_slack_users_info(slack: FakeSlackAPI) -> None:
    slack.add_user("U1", real_name="Ann Smith", display_name="ann", first_name="Ann")
    client = web_client(slack)
    user = (await client.users_info(user="U1"))["user"]
    assert user["real_name"] == "Ann Smith"
    assert user["profile"]["display_name"] == "ann"
    with pytest.raises(SlackApiError, match="user_not_found"):
        await client.users_info(user="U404")


async def test_slack_views_open_update_publish(slack: FakeSlackAPI) -> None:
    client = web_client(slack)
    view = {"type": "modal", "callback_id": "lead", "title": {"type": "plain_text", "text": "L"},
            "blocks": []}
    opened = await client.views_open(trigger_id="123.456", view=view)
    view_id = opened["view"]["id"]
    updated = await client.views_update(view_id=view_id, view={**view, "callback_id": "lead2"})
    home = await client.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    assert view_id.startswith("V") and updated["view"]["id"] == view_id
    assert slack.views[view_id]["callback_id"] == "lead2"
    assert home["view"]["type"] == "home"


async def test_slack_files_upload_v2_in_thread_and_private_download(slack: FakeSlackAPI) -> None:
    client = web_client(slack)
    root = await client.chat_postMessage(channel="C1", text="root")
    done = await client.files_upload_v2(channel="C1", thread_ts=root["ts"], content=b"%PDF-1.4",
                                        filename="invoice.pdf", title="Invoice",
                                        initial_comment="from customer")

    upload = slack.uploads[0]
    assert (upload["title"], upload["filename"], upload["size"]) == ("Invoice", "invoice.pdf", 8)
    assert (upload["thread_ts"], upload["initial_comment"]) == (root["ts"], "from customer")
    assert slack.calls_to("upload")[0]["authorization"] is None  # raw bytes, no token
    shared = slack.thread("C1", root["ts"])[-1]
    assert shared["files"][0]["id"] == done["file"]["id"]
    url = done["file"]["url_private_download"]
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers={"Authorization": "Bearer xoxb-test"}) as response:
            assert await response.read() == b"%PDF-1.4"
        async with http.get(url) as response:
            assert response.status == 200 and response.content_type == "text/html"


async def test_slack_add_file_serves_url_private(slack: FakeSlackAPI) -> None:
    file = slack.add_file("F1", b"\x89PNG", name="shot.png", mimetype="image/png")
    info = await web_client(slack).files_info(file="F1")
    assert info["file"]["url_private"] == file["url_private"] and file["filetype"] == "png"
    async with aiohttp.ClientSession() as http:
        async with http.get(file["url_private"],
                            headers={"Authorization": "Bearer xoxb-x"}) as response:
            assert (await response.read(), response.content_type) == (b"\x89PNG", "image/png")


async def test_slack_429_raises_with_retry_after(slack: FakeSlackAPI) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=7)
    client = web_client(slack)
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C1", text="x")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"
    assert raised.value.response["error"] == "ratelimited"
    await client.chat_postMessage(channel="C1", text="x")
    assert slack.attempts["chat.postMessage"] == 2
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert slack.faults == [("chat.postMessage", "429")]


async def test_slack_canned_errors_and_server_errors(slack: FakeSlackAPI) -> None:
    slack.fail_next("chat.postMessage", error="channel_not_found")  # HTTP 200, like Slack
    slack.fail_next("chat.update", status=503)
    client = web_client(slack)
    with pytest.raises(SlackApiError, match="channel_not_found") as canned:
        await client.chat_postMessage(channel="C1", text="x")
    assert canned.value.response.status_code == 200
    with pytest.raises(SlackApiError) as raised:
        await client.chat_update(channel="C1", ts="1.2", text="x")
    assert raised.value.response.status_code == 503
    slack.known_channels = {"C1"}
    with pytest.raises(SlackApiError, match="channel_not_found"):
        await client.chat_postMessage(channel="C2", text="x")


async def test_slack_rejects_bad_tokens(slack: FakeSlackAPI) -> None:
    with pytest.raises(SlackApiError, match="invalid_auth"):
        await web_client(slack, token="nope").chat_postMessage(channel="C1", text="x")
    with pytest.raises(SlackApiError, match="not_allowed_token_type"):
        await web_client(slack, token="xapp-1").chat_postMessage(channel="C1", text="x")
    assert slack.messages["C1"] == []


async def test_slack_dropped_connection_is_retried_by_sdk_handler(slack: FakeSlackAPI) -> None:
    retry = AsyncConnectionErrorRetryHandler(
        max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0.0))
    slack.drop_next("chat.postMessage")
    await web_client(slack, retry_handlers=[retry]).chat_postMessage(channel="C1", text="x")
    slack.drop_next("chat.postMessage")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await web_client(slack, retry_handlers=[]).chat_postMessage(channel="C1", text="y")
    assert slack.attempts["chat.postMessage"] == 3
    assert [m["text"] for m in slack.messages["C1"]] == ["x"]


async def test_slack_lost_answer_still_posts(slack: FakeSlackAPI) -> None:
    slack.drop_next("chat.postMessage", after_processing=True)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await web_client(slack, retry_handlers=[]).chat_postMessage(channel="C1", text="x")
    assert [m["text"] for m in slack.messages["C1"]] == ["x"]
    assert slack.calls_to("chat.postMessage") == []
    assert slack.faults == [("chat.postMessage", "lost")]


async def test_slack_delay_past_client_timeout(slack: FakeSlackAPI) -> None:
    slack.delay_next("chat.postMessage", 0.3)
    impatient = web_client(slack, timeout=0.1, retry_handlers=[])  # type: ignore[arg-type]
    with pytest.raises(asyncio.TimeoutError):
        await impatient.chat_postMessage(channel="C1", text="late")
    await until(lambda: bool(slack.messages["C1"]))
    assert [m["text"] for m in slack.messages["C1"]] == ["late"]
    assert slack.faults == [("chat.postMessage", "delay"), ("chat.postMessage", "lost")]


async def test_slack_per_channel_post_rate_limit(slack: FakeSlackAPI) -> None:
    slack.limit_post_rate(per_second=1.0, burst=1)
    client = web_client(slack)
    await client.chat_postMessage(channel="C1", text="1")
    await client.chat_postMessage(channel="C2", text="other channel")
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C1", text="2")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "1"
    assert slack.rate_limited == 1


async def _chaos_run(seed: int) -> list[tuple[str, str]]:
    async with FakeSlackAPI() as fake:
        fake.chaos(seed, rate=0.5, kinds=("429", "500", "drop", "lost"))
        client = web_client(fake, retry_handlers=[])
        for n in range(12):
            try:
                await client.chat_postMessage(channel="C1", text=str(n))
            except (SlackApiError, aiohttp.ClientError):
                pass
        await client.auth_test()  # reads are never disturbed
        return fake.faults


async def test_slack_chaos_is_reproducible_from_seed() -> None:
    first, second, other = await _chaos_run(7), await _chaos_run(7), await _chaos_run(8)
    assert first == second and first != other
    assert {kind for _, kind in first} <= {"429", "500", "drop", "lost"} and first


async def test_wait_for_times_out_with_a_clear_message(slack: FakeSlackAPI) -> None:
    with pytest.raises(AssertionError, match="expected >= 1 successful chat.update"):
        await slack.wait_for("chat.update", timeout=0.05)


# -- Slack Socket Mode ----------------------------------------------------------------------


async def test_socket_mode_envelope_ack_and_reconnect(slack: FakeSlackAPI) -> None:
    client = SocketModeClient(app_token="xapp-1-test",
                              web_client=web_client(slack, token="xapp-1-test"))

    async def ack(sm: Any, request: SocketModeRequest) -> None:
        await sm.send_socket_mode_response(
            SocketModeResponse(envelope_id=request.envelope_id, payload={"seen": request.type}))

    client.socket_mode_request_listeners.append(ack)
    try:
        await client.connect()
        envelope_id = await slack.socket_send("slash_commands", {"command": "/lead"})
        assert (await slack.wait_for_ack(envelope_id))["payload"] == {"seen": "slash_commands"}
        assert slack.socket.envelopes[0]["accepts_response_payload"] is True
        await slack.socket.disconnect()
        await slack.socket.wait_connected(min_connections=2)
        envelope_id = await slack.socket_send("events_api", {"event": {}}, retry_attempt=1)
        await slack.wait_for_ack(envelope_id)
        assert slack.socket.envelopes[1]["retry_reason"] == "timeout"
        assert slack.socket.connections == 2
    finally:
        await client.close()


async def test_bolt_socket_mode_handler_round_trip(slack: FakeSlackAPI) -> None:
    app = AsyncApp(client=web_client(slack), signing_secret="unused-in-socket-mode")

    @app.event("message")
    async def echo(event: dict[str, Any], say: Any) -> None:
        await say(text=f"echo {event['text']}", thread_ts=event["ts"])

    handler = AsyncSocketModeHandler(app, "xapp-1-test")
    try:
        await handler.connect_async()
        event = {"type": "message", "channel": "C1", "user": "U1", "text": "hi",
                 "ts": "1.000001", "channel_type": "channel"}
        envelope_id = await slack.socket_send("events_api", {
            "type": "event_callback", "team_id": "T0001", "api_app_id": "A0FAKE",
            "event": event, "event_id": "Ev1", "event_time": 1})
        assert await slack.wait_for_ack(envelope_id) == {"envelope_id": envelope_id}
        posted = await slack.wait_for("chat.postMessage")
    finally:
        await handler.close_async()
    # Bolt's per-request client adds the event's team_id as a default parameter.
    assert posted[0] == {"channel": "C1", "text": "echo hi", "thread_ts": "1.000001",
                         "team_id": "T0001"}
    assert len(slack.calls_to("auth.test")) == 1


# -- Telegram Bot API -----------------------------------------------------------------------


async def test_tg_send_edit_delete(bot: Bot, telegram: FakeTelegramAPI) -> None:
    sent = await bot.send_message(7, "<b>Hello</b> &amp; welcome", parse_mode="HTML")
    second = await bot.send_message(7, "123")
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("123", chat_id=7, message_id=second.message_id)
    edited = await bot.edit_message_text("Hi again", chat_id=7, message_id=sent.message_id)
    assert await bot.delete_message(7, second.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(7, second.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=7, message_id=999)

    assert sent.text == "Hello & welcome" and second.message_id == sent.message_id + 1
    assert edited.edit_date is not None
    assert telegram.texts(7) == ["Hi again"]
    assert telegram.calls_to("sendMessage")[1] == {"chat_id": 7, "text": "123"}


async def test_tg_rejects_malformed_html(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(7, "a <script>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(7, "<b></b>", parse_mode="HTML")


async def test_tg_photo_upload_get_file_and_download(bot: Bot, telegram: FakeTelegramAPI) -> None:
    photo = BufferedInputFile(b"\xff\xd8jpeg-bytes", filename="shot.jpg")
    message = await bot.send_photo(7, photo, caption="look")
    file = await bot.get_file(message.photo[-1].file_id)  # type: ignore[index]
    downloaded = await bot.download_file(file.file_path)  # type: ignore[arg-type]

    assert downloaded is not None and downloaded.getvalue() == b"\xff\xd8jpeg-bytes"
    upload = telegram.uploads[0]
    assert (upload["filename"], upload["size"], upload["kind"]) == ("shot.jpg", 12, "photo")
    assert telegram.chat(7)[0]["kind"] == "photo" and message.caption == "look"


async def test_tg_media_group_and_copy(bot: Bot, telegram: FakeTelegramAPI) -> None:
    album = await bot.send_media_group(7, [
        InputMediaPhoto(media=BufferedInputFile(b"1", "1.jpg"), caption="two pics"),
        InputMediaPhoto(media=BufferedInputFile(b"22", "2.jpg"))])
    update = tg_updates.document_message(9, file_name="cv.pdf")
    telegram.push_update(update)
    copied = await bot.copy_message(7, 9, update["message"]["message_id"])
    assert len({m.media_group_id for m in album}) == 1
    assert telegram.chat(7)[-1]["message"]["document"]["file_name"] == "cv.pdf"
    assert copied.message_id == album[-1].message_id + 1


async def test_tg_get_file_too_big(bot: Bot, telegram: FakeTelegramAPI) -> None:
    telegram.add_file("BIG", b"", "documents/file_9.zip", declared_size=25 * 1024 * 1024)
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await bot.get_file("BIG")


async def test_tg_429_403_500_and_drop(bot: Bot, telegram: FakeTelegramAPI) -> None:
    telegram.fail_next("sendMessage", status=429, retry_after=3)
    telegram.fail_next("sendMessage", status=403)
    telegram.fail_next("sendMessage", status=500)
    telegram.drop_next("sendMessage")
    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.send_message(7, "x")
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(7, "x")
    with pytest.raises(TelegramServerError):
        await bot.send_message(7, "x")
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(7, "x")
    await bot.send_message(7, "finally")

    assert flood.value.retry_after == 3
    assert telegram.faults == [("sendMessage", k) for k in ("429", "403", "500", "drop")]
    assert telegram.attempts["sendMessage"] == 5 and telegram.texts(7) == ["finally"]


async def test_tg_blocked_chat_and_bad_token(bot: Bot, telegram: FakeTelegramAPI) -> None:
    telegram.fail_next("sendMessage", error="Forbidden: user is deactivated")
    with pytest.raises(TelegramForbiddenError, match="deactivated"):
        await bot.send_message(7, "x")
    telegram.blocked.add(7)
    with pytest.raises(TelegramForbiddenError, match="blocked"):
        await bot.send_message(7, "x")
    session = AiohttpSession(api=TelegramAPIServer.from_base(telegram.url))
    stranger = Bot("43:OTHER", session=session)
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await stranger.get_me()
    finally:
        await stranger.session.close()


async def test_tg_get_updates_long_polls_and_confirms(bot: Bot, telegram: FakeTelegramAPI) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await until(lambda: telegram.attempts["getUpdates"] == 1)
    await asyncio.sleep(0.05)
    assert not poll.done()
    update_id = telegram.push_update(tg_updates.text_message(7, "hello", first_name="Ann"))
    updates = await asyncio.wait_for(poll, timeout=1)

    assert [u.update_id for u in updates] == [update_id]
    assert updates[0].message is not None and updates[0].message.text == "hello"
    assert await bot.get_updates(offset=update_id + 1) == []
    assert telegram.updates == []


async def test_tg_webhook_delivery_into_aiogram(bot: Bot, telegram: FakeTelegramAPI) -> None:
    await bot.set_webhook("http://127.0.0.1/hook", secret_token="s3cret")
    with pytest.raises(TelegramConflictError):
        await bot.get_updates()
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def reply(message: Message) -> None:
        await message.answer(f"got {message.text}")

    app = web.Application()
    SimpleRequestHandler(dispatcher, bot, secret_token="s3cret",
                         handle_in_background=False).register(app, path="/hook")
    async with FakeServerless(app) as url, aiohttp.ClientSession() as http:
        update = tg_updates.text_message(7, "ping")
        assert await telegram.deliver_webhook(http, url, update, secret="wrong") == 401
        assert await telegram.deliver_webhook(http, url, update, secret="s3cret") == 200
    assert telegram.texts(7) == ["got ping"]


class FakeServerless:
    """Serve an aiohttp app on an ephemeral port for the duration of a ``with`` block."""

    def __init__(self, app: web.Application) -> None:
        self.runner = web.AppRunner(app, access_log=None)

    async def __aenter__(self) -> str:
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        return f"http://127.0.0.1:{self.runner.addresses[0][1]}/hook"

    async def __aexit__(self, *exc: object) -> None:
        await self.runner.cleanup()


@pytest.mark.parametrize("build", [
    lambda: tg_updates.text_message(5, "hi", last_name="Lee", username="ann"),
    lambda: tg_updates.start_command(5, "ref42"),
    lambda: tg_updates.edited_text_message(5, "fixed", message_id=3),
    lambda: tg_updates.photo_message(5, caption="pic"),
    lambda: tg_updates.document_message(5),
    lambda: tg_updates.voice_message(5),
    lambda: tg_updates.video_message(5),
    lambda: tg_updates.video_note_message(5),
    lambda: tg_updates.sticker_message(5),
    lambda: tg_updates.location_message(5),
    lambda: tg_updates.contact_message(5),
])
def test_tg_update_builders_parse_as_private_chat_updates(build: Any) -> None:
    update = Update.model_validate(build())
    message = update.message or update.edited_message
    assert message is not None and message.from_user is not None
    assert message.chat.type == "private" and message.chat.id == message.from_user.id == 5


def test_tg_album_shares_one_media_group() -> None:
    updates = [Update.model_validate(u) for u in tg_updates.album(5, ("photo", "video"),
                                                                  caption="two")]
    messages = [u.message for u in updates if u.message is not None]
    assert len({m.media_group_id for m in messages}) == 1
    assert [m.caption for m in messages] == ["two", None]
    assert messages[1].message_id == messages[0].message_id + 1


async def test_tg_every_send_method_returns_parseable_messages(
        bot: Bot, telegram: FakeTelegramAPI) -> None:
    def upload(name: str) -> BufferedInputFile:
        return BufferedInputFile(b"data-" + name.encode(), filename=name)

    document = await bot.send_document(7, upload("cv.pdf"), caption="cv")
    sent = [
        document.document,
        (await bot.send_voice(7, upload("v.ogg"))).voice,
        (await bot.send_video(7, upload("v.mp4"))).video,
        (await bot.send_audio(7, upload("a.mp3"))).audio,
        (await bot.send_animation(7, upload("a.gif"))).animation,
        (await bot.send_sticker(7, upload("s.webp"))).sticker,
        (await bot.send_video_note(7, upload("n.mp4"))).video_note,
        (await bot.send_location(7, latitude=48.85, longitude=2.29)).location,
        (await bot.send_photo(7, document.document.file_id)).photo,  # type: ignore[union-attr]
    ]
    recaptioned = await bot.edit_message_caption(chat_id=7, message_id=document.message_id,
                                                 caption="CV v2")
    assert await bot.send_chat_action(7, "typing")
    assert await bot.set_my_commands([BotCommand(command="start", description="Start")])
    assert await bot.delete_webhook(drop_pending_updates=True)

    assert all(item is not None for item in sent)
    assert recaptioned.caption == "CV v2"  # type: ignore[union-attr]
    assert telegram.commands == [{"command": "start", "description": "Start"}]
    assert [u["filename"] for u in telegram.uploads][:2] == ["cv.pdf", "v.ogg"]
    assert (await bot.get_webhook_info()).url == ""


async def test_tg_unknown_method_and_competing_pollers(
        bot: Bot, telegram: FakeTelegramAPI) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{telegram.url}bot42:TEST/sendTelepathy") as response:
            assert response.status == 404
            assert await response.json() == {"ok": False, "error_code": 404,
                                              "description": "Not Found"}
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await until(lambda: telegram.attempts["getUpdates"] == 1)
    second = asyncio.create_task(bot.get_updates(timeout=0))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await asyncio.wait_for(first, timeout=1)
    assert await second == []


async def test_slack_ephemeral_and_reaction_removal(slack: FakeSlackAPI) -> None:
    client = web_client(slack)
    posted = await client.chat_postMessage(channel="C1", text="x")
    ephemeral = await client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    await client.reactions_add(channel="C1", name="eyes", timestamp=posted["ts"])
    await client.reactions_remove(channel="C1", name="eyes", timestamp=posted["ts"])
    with pytest.raises(SlackApiError, match="no_reaction"):
        await client.reactions_remove(channel="C1", name="eyes", timestamp=posted["ts"])
    assert slack.ephemerals[0]["ts"] == ephemeral["message_ts"]
    assert slack.find("C1", posted["ts"])["reactions"] == []  # type: ignore[index]
