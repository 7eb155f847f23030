"""Slack emoji shortcodes (``:smile:``, ``:+1::skin-tone-3:``) → the emoji characters."""

from __future__ import annotations

import re

import emoji

# Slack's skin tones 2-6 are the five Fitzpatrick modifiers; 1 is the default yellow.
_SKIN_TONES = {tone: chr(0x1F3FB + tone - 2) for tone in range(2, 7)}
# Not right after a letter or digit: "a:b:c" and "12:30:45" are not emoji.
_SHORTCODE = re.compile(r"(?<![A-Za-z0-9]):([a-z0-9_+'-]+):(?::skin-tone-([1-6]):)?")


def emoji_for(name: str, skin_tone: int = 0) -> str | None:
    """The character Slack shows for ``:name:``, or ``None`` for an unknown (or the
    workspace's own custom) emoji."""
    shortcode = f":{name}:"
    character = emoji.emojize(shortcode, language="alias")
    if character == shortcode:
        return None
    return character + _SKIN_TONES.get(skin_tone, "")


def with_emoji(text: str) -> str:
    """``text`` with every known shortcode replaced by its emoji; unknown ones stay."""
    out: list[str] = []
    pos = 0
    while (match := _SHORTCODE.search(text, pos)) is not None:
        character = emoji_for(match[1], int(match[2] or 0))
        if character is None:
            # "10:30:smile:": the colon closing an unknown name may open the next one
            out.append(text[pos:match.start() + 1])
            pos = match.start() + 1
            continue
        out += [text[pos:match.start()], character]
        pos = match.end()
    return "".join(out) + text[pos:]
