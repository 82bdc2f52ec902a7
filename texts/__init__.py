"""User-facing texts: one TOML catalogue per language in this package (``id.toml``, ``en.toml``).

``Texts.t(key, **params)`` HTML-escapes every parameter, because almost every parameter is
something a person typed or a name from the roster; a fragment that is already safe HTML is
passed as ``Html(...)``.
"""

from __future__ import annotations

import html
import re
import string
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, NamedTuple

# Bahasa Indonesia first: the fallback for any other language.
LANGUAGES = ("id", "en")


class Html(str):
    """A string that is already valid Telegram HTML and must not be escaped again."""


def escape(value: object) -> str:
    if type(value) is str:
        # Most values have nothing to escape: no call to html.escape for them.
        if "&" in value or "<" in value or ">" in value:
            return html.escape(value, quote=False)
        return value
    if type(value) is int:
        return str(value)
    if isinstance(value, Html):
        return value
    return html.escape(str(value), quote=False)


def _flatten(prefix: str, node: dict[str, Any], out: dict[str, str]) -> None:
    for key, value in node.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(f"{name}.", value, out)
        else:
            out[name] = str(value)


@cache
def catalogue(language: str) -> dict[str, str]:
    raw = resources.files("texts").joinpath(f"{language}.toml").read_text(encoding="utf-8")
    flat: dict[str, str] = {}
    _flatten("", tomllib.loads(raw), flat)
    return flat


_FORMATTER = string.Formatter()
_PERIOD_AFTER_TAGS = re.compile(r"^((?:</[a-z]+>)*)\.(?!\.)")
_NAME = re.compile(r"[A-Za-z_]\w*")


class _Part(NamedTuple):
    """A template's literal text and the placeholder after it (``field`` None: none)."""

    literal: str
    # The literal after a value ending in a period: "<b>{name}</b>." keeps its closing tags and
    # loses its own period.
    after_period: str
    field: str | None
    # A plain name (``{name}``), looked up directly; any other placeholder (``{a.b}``,
    # ``{a[0]}``) is looked up as ``string.Formatter`` does.
    plain: bool
    spec: str
    conversion: str | None


@cache
def _parts(template: str) -> tuple[_Part, ...]:
    """``template`` parsed once (``string.Formatter.parse`` each time was a seventh of the
    quick log's handler time, bench/paths.py; the catalogues' templates are a bounded set)."""
    return tuple(
        _Part(
            literal,
            _PERIOD_AFTER_TAGS.sub(r"\1", literal, count=1),
            field,
            field is not None and _NAME.fullmatch(field) is not None,
            spec or "",
            conversion,
        )
        for literal, field, spec, conversion in _FORMATTER.parse(template)
    )


def fill(template: str, values: Mapping[str, object]) -> str:
    """``template.format(**values)``, except that a value ending in a period (a name with its
    degree, ``Nurhayati Harahap, S.E.``) is not followed by the template's own period."""
    out: list[str] = []
    last = ""  # the last text that is not empty
    for literal, after_period, field, plain, spec, conversion in _parts(template):
        if last.endswith("."):
            literal = after_period
        if literal:
            out.append(literal)
            last = literal
        if field is not None:
            value: Any = values[field] if plain else _FORMATTER.get_field(field, (), values)[0]
            if conversion is not None:
                value = _FORMATTER.convert_field(value, conversion)
            # (Not ``format``: in this package that name is the module ``texts.format``.)
            shown = (
                _FORMATTER.format_field(value, spec) if spec or type(value) is not str else value
            )
            if shown:
                out.append(shown)
                last = shown
    return "".join(out)


class Texts:
    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else LANGUAGES[0]
        self._strings = catalogue(self.language)

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # Sent to a rendering process (services/offload.py) as its language, not its catalogue.
        return (texts, (self.language,))

    def t(self, key: str, /, **params: object) -> str:
        template = self._strings[key]
        if not params and "{" not in template:
            return template
        # A placeholder without its value raises (KeyError) rather than reach a person.
        for name, value in params.items():  # ``params`` is this call's own dict
            params[name] = escape(value)
        return fill(template, params)

    def has(self, key: str) -> bool:
        return key in self._strings

    def plain(self, key: str, /, **params: object) -> str:
        """For places without HTML (CLI output, button labels, command descriptions)."""
        template = self._strings[key]
        if not params and "{" not in template:
            return template
        return fill(template, {k: str(v) for k, v in params.items()})


@cache
def texts(language: str) -> Texts:
    return Texts(language)
