"""A reaction is exactly one emoji grapheme: the validator's cases, and its tables against the
`regex` package's Unicode data (a dev-only cross-check; the app itself uses no regex library)."""
import pytest

from chalicelib.core.errors import InvalidInput
from chalicelib.messaging import emoji as emoji_module
from chalicelib.messaging.emoji import is_emoji
from chalicelib.messaging.reactions import checked_emoji

EMOJI = {
    "presentation": "😀", "newer face (Unicode 15)": "🫨", "with VS16": "❤️", "text default + VS16": "☺️",
    "skin tone": "👍🏽", "skin tone + VS16": "✌🏿", "keycap": "1️⃣", "keycap without VS16": "#⃣",
    "flag": "🇫🇷", "tag flag (Scotland)": "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F",
    "ZWJ profession": "👩🏽‍💻", "ZWJ rainbow flag": "🏳️‍🌈", "ZWJ family": "👨‍👩‍👧‍👦",
    "ZWJ gendered, no VS16": "🏃‍♀", "ZWJ kiss with tones": "👩🏻‍❤️‍💋‍👨🏼", "handshake tones": "🧑🏻‍🤝‍🧑🏼",
}
NOT_EMOJI = {
    "letter": "a", "digit": "1", "text symbol without VS16": "©", "trademark": "™", "two emoji": "😀😀",
    "emoji and space": "👍 ", "lone VS16": "\ufe0f", "lone ZWJ": "\u200d", "trailing ZWJ": "😀\u200d",
    "leading ZWJ": "\u200d😀", "one regional indicator": "🇫", "three regional indicators": "🇫🇷🇫",
    "letter + VS16": "x\ufe0f", "word": "ok", "empty": "", "tone on a non-base": "😀🏽", "two tones": "👍🏽🏽",
    "tag flag without cancel": "🏴\U000E0067\U000E0062", "keycap of a letter": "a⃣", "CJK": "中",
    "combining accent": "e\u0301", "too long": "👍" + "\u200d👍" * 20, "ASCII emoticon": ":)",
}


@pytest.mark.parametrize("text", EMOJI.values(), ids=EMOJI.keys())
def test_one_emoji_is_accepted(text):
    assert is_emoji(text)


@pytest.mark.parametrize("text", NOT_EMOJI.values(), ids=NOT_EMOJI.keys())
def test_anything_else_is_refused(text):
    assert not is_emoji(text)


@pytest.mark.parametrize("raw, expected", [("%F0%9F%91%8D", "👍"), ("👍", "👍"), ("%E2%9D%A4%EF%B8%8F", "❤️")])
def test_a_path_segment_is_percent_decoded_once(raw, expected):
    assert checked_emoji(raw) == expected


@pytest.mark.parametrize("raw", ["%FF", "%F0%9F", "%25F0%259F%2591%258D", "abc", "%20"])
def test_a_bad_segment_is_invalid_input(raw):
    with pytest.raises(InvalidInput) as refused:
        checked_emoji(raw)
    assert refused.value.code == "invalid_emoji"


def test_every_accepted_emoji_is_one_grapheme_and_the_tables_match_unicode():
    regex = pytest.importorskip("regex")
    for text in EMOJI.values():
        assert regex.fullmatch(r"\X", text), text
    for name, prop in (("_EMOJI", "Emoji"), ("_PRESENTATION", "Emoji_Presentation"),
                       ("_MODIFIER_BASE", "Emoji_Modifier_Base")):
        pattern = regex.compile(r"\p{%s}" % prop)
        table = getattr(emoji_module, name)
        for first, last in table:
            assert pattern.match(chr(first)) and pattern.match(chr(last)), (name, hex(first))
        covered = sum(last - first + 1 for first, last in table)
        expected = sum(1 for point in range(0x80, 0x110000)
                       if not 0xD800 <= point <= 0xDFFF and pattern.match(chr(point)))
        assert covered == expected, name
