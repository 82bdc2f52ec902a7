"""Telegram's text formatting rules, checked directly on the parser."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.textparse import EmptyTextError, EntityParseError, parse_text


def parsed(
    text: str, mode: str | None = "HTML", **kwargs: Any
) -> tuple[str, list[tuple[Any, ...]]]:
    result = parse_text(text, mode, **kwargs)
    entities = [
        (
            e["type"],
            e["offset"],
            e["length"],
            *(v for k, v in e.items() if k not in ("type", "offset", "length")),
        )
        for e in result.entities
    ]
    return result.text, entities


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<b>a</b><strong>b</strong>", ("ab", [("bold", 0, 2)])),  # touching runs merge
        (
            "<i>x</i> <em>y</em> <u>z</u> <ins>w</ins>",
            (
                "x y z w",
                [("italic", 0, 1), ("italic", 2, 1), ("underline", 4, 1), ("underline", 6, 1)],
            ),
        ),
        ("<s>a</s><strike>b</strike><del>c</del>", ("abc", [("strikethrough", 0, 3)])),
        (
            '<span class="tg-spoiler">a</span> <tg-spoiler>b</tg-spoiler>',
            ("a b", [("spoiler", 0, 1), ("spoiler", 2, 1)]),
        ),
        (
            '<pre><code class="language-python">x = 1</code></pre>',
            ("x = 1", [("pre", 0, 5, "python")]),
        ),
        ("<pre>raw</pre> <code>c</code>", ("raw c", [("pre", 0, 3), ("code", 4, 1)])),
        ('<code class="language-go">c</code>', ("c", [("code", 0, 1)])),  # language needs <pre>
        ("<blockquote>kutipan</blockquote>", ("kutipan", [("blockquote", 0, 7)])),
        (
            "<blockquote expandable>panjang</blockquote>",
            ("panjang", [("expandable_blockquote", 0, 7)]),
        ),
        (
            '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
            ("👍", [("custom_emoji", 0, 2, "5368324170671202286")]),
        ),
        ("&lt;b&gt; &amp; &quot;q&quot; &#65;&#x42; &lt", ('<b> & "q" AB <', [])),
        ("AT&T & co &copy;", ("AT&T & co &copy;", [])),  # unknown entities stay literal
        ("<a href='http://x.id'>x</a>", ("x", [("text_link", 0, 1, "http://x.id/")])),
        (
            "<a>https://t.me/sigap</a>",
            ("https://t.me/sigap", [("text_link", 0, 18, "https://t.me/sigap")]),
        ),
        (
            "<b>tebal <i>miring</i></b>",
            (
                "tebal miring",
                [  # Telegram splits nested runs
                    ("bold", 0, 6),
                    ("bold", 6, 6),
                    ("italic", 6, 6),
                ],
            ),
        ),
        # The entity sheds its leading spaces, then the text is trimmed.
        ("<b>  spasi</b>  \n", ("spasi", [("bold", 0, 5)])),
        ("\n\n  Halo\t\r\n", ("Halo", [])),  # trimmed, \t becomes a space, \r vanishes
        ("𝕏 <b>x</b>", ("𝕏 x", [("bold", 3, 1)])),  # astral characters count two units
        ("<B>caps</B>", ("caps", [("bold", 0, 4)])),
    ],
)
def test_html(html: str, expected: tuple[str, list[tuple[Any, ...]]]) -> None:
    assert parsed(html) == expected


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("a</i>", "Unexpected end tag at byte offset 1"),
        ("🙂<p>x</p>", 'Unsupported start tag "p" at byte offset 4'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("x <b", "Unclosed start tag at byte offset 2"),
        ('<a href="x>y</a>', "Unclosed start tag at byte offset 0"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        (
            "<a href>x</a>",
            'Expected equal sign in declaration of an attribute of the tag "a" at byte offset 0',
        ),
        ("<tg-emoji emoji-id=abc>x</tg-emoji>", "Invalid custom emoji identifier specified"),
    ],
)
def test_html_errors(html: str, error: str) -> None:
    with pytest.raises(EntityParseError) as raised:
        parse_text(html, "HTML")
    assert str(raised.value) == error


def test_automatic_entities_and_their_limits() -> None:
    text, entities = parsed(
        "/start@sigap_test_bot lapor @budi_s #jalanrusak $USD ke admin@kec.go.id atau "
        "https://medanbelawan.go.id/aduan?id=1. dan t.me/sigap, bukan a.b atau @ab",
        None,
    )
    found = [(kind, text[offset : offset + length]) for kind, offset, length in entities]
    assert found == [
        ("bot_command", "/start@sigap_test_bot"),
        ("mention", "@budi_s"),
        ("hashtag", "#jalanrusak"),
        ("cashtag", "$USD"),
        ("email", "admin@kec.go.id"),
        ("url", "https://medanbelawan.go.id/aduan?id=1"),
        ("url", "t.me/sigap"),
    ]
    # No automatic entities inside code, and a bot's own "url" entities are ignored.
    assert parsed("<code>@budi_s</code>") == ("@budi_s", [("code", 0, 7)])
    assert parsed("lihat", None, entities=[{"type": "url", "offset": 0, "length": 5}]) == (
        "lihat",
        [],
    )


def test_explicit_entities_win_over_parse_mode() -> None:
    entities = [{"type": "bold", "offset": 0, "length": 3}]
    assert parsed("<b>x</b>", "HTML", entities=entities) == ("<b>x</b>", [("bold", 0, 3)])


def test_text_mentions_are_resolved() -> None:
    def resolve(user_id: int) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": "Siti"}

    result = parse_text('<a href="tg://user?id=42">Siti</a>', "HTML", resolve_user=resolve)
    assert result.entities == [
        {
            "offset": 0,
            "length": 4,
            "type": "text_mention",
            "user": {"id": 42, "is_bot": False, "first_name": "Siti"},
        }
    ]


def test_whitespace_only_is_empty() -> None:
    with pytest.raises(EmptyTextError):
        parse_text(" <i>\n</i> ", "HTML")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            r"*b* _i_ __u__ ~s~ ||sp|| `c` [l](https://x.id) \.",
            (
                "b i u s sp c l .",
                [
                    ("bold", 0, 1),
                    ("italic", 2, 1),
                    ("underline", 4, 1),
                    ("strikethrough", 6, 1),
                    ("spoiler", 8, 2),
                    ("code", 11, 1),
                    ("text_link", 13, 1, "https://x.id/"),
                ],
            ),
        ),
        ("```python\nprint(1)\n```", ("print(1)", [("pre", 0, 8, "python")])),
        (">kutip\n>dua\nbiasa", ("kutip\ndua\nbiasa", [("blockquote", 0, 10)])),
        (r"*tebal _miring_*", ("tebal miring", [("bold", 0, 6), ("bold", 6, 6), ("italic", 6, 6)])),
    ],
)
def test_markdown_v2(text: str, expected: tuple[str, list[tuple[Any, ...]]]) -> None:
    assert parsed(text, "MarkdownV2") == expected


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("Harga 5.000", "Character '.' is reserved and must be escaped with the preceding '\\'"),
        ("*tebal", "Can't find end of Bold entity at byte offset 0"),
        ("é _x", "Can't find end of Italic entity at byte offset 3"),
        ("[tautan](https://x.id", "Can't find end of a URL at byte offset 9"),
        ("x|y", "Character '|' is reserved and must be escaped with the preceding '\\'"),
    ],
)
def test_markdown_v2_errors(text: str, error: str) -> None:
    with pytest.raises(EntityParseError) as raised:
        parse_text(text, "markdownv2")
    assert str(raised.value) == error


def test_legacy_markdown() -> None:
    with pytest.raises(
        EntityParseError, match="Can't find end of the entity starting at byte offset 2"
    ):
        parse_text("a *b", "Markdown")
    assert parsed("*b* _i_ `c` [t](example.com)", "Markdown") == (
        "b i c t",
        [
            ("bold", 0, 1),
            ("italic", 2, 1),
            ("code", 4, 1),
            ("text_link", 6, 1, "http://example.com/"),
        ],
    )


def test_unknown_parse_mode() -> None:
    with pytest.raises(ValueError):
        parse_text("x", "BBCode")
