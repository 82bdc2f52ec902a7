"""User-facing texts: one TOML catalogue per language in this package (``id.toml``, ``en.toml``).

``Texts.t(key, **params)`` HTML-escapes every parameter, because almost every parameter is
something a person typed or a name from the roster; a fragment that is already safe HTML is
passed as ``Html(...)``.
"""

from __future__ import annotations

import html
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


class Texts:
    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else LANGUAGES[0]
        self._strings = catalogue(self.language)

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # Sent to a rendering process (services/offload.py) as its language, not its catalogue.
        return (texts, (self.language,))

    def t(self, key: str, /, **params: object) -> str:
        template = self._strings[key]
        if not params:
            return template
        return template.format(**{k: escape(v) for k, v in params.items()})

    def has(self, key: str) -> bool:
        return key in self._strings

    def plain(self, key: str, /, **params: object) -> str:
        """For places without HTML (CLI output, button labels, command descriptions)."""
        template = self._strings[key]
        return template.format(**{k: str(v) for k, v in params.items()}) if params else template


@cache
def texts(language: str) -> Texts:
    return Texts(language)
