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
from functools import cache
from importlib import resources
from typing import Any

# Bahasa Indonesia first: the fallback for any other language.
LANGUAGES = ("id", "en")


class Html(str):
    """A string that is already valid Telegram HTML and must not be escaped again."""


def escape(value: object) -> str:
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


def fill(template: str, values: dict[str, str]) -> str:
    """``template.format(**values)``, except that a value ending in a period (a name with its
    degree, ``Nurhayati Harahap, S.E.``) is not followed by the template's own period."""
    parts: list[str] = []
    for literal, field, spec, conversion in _FORMATTER.parse(template):
        ends_in_period = any(parts) and next(p for p in reversed(parts) if p).endswith(".")
        if ends_in_period:
            # "<b>{name}</b>." too: the closing tags stay, the second period goes.
            literal = _PERIOD_AFTER_TAGS.sub(r"\1", literal, count=1)
        parts.append(literal)
        if field is not None:
            value = _FORMATTER.convert_field(_FORMATTER.get_field(field, (), values)[0], conversion)
            parts.append(_FORMATTER.format_field(value, spec or ""))
    return "".join(parts)


class Texts:
    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else LANGUAGES[0]
        self._strings = catalogue(self.language)

    def t(self, key: str, /, **params: object) -> str:
        template = self._strings[key]
        if not params and "{" not in template:
            return template
        # A placeholder without its value raises (KeyError) rather than reach a person.
        return fill(template, {k: escape(v) for k, v in params.items()})

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
