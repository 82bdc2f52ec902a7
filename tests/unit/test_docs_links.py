"""The documentation stays navigable: every relative link and ``#anchor`` in README.md,
CHANGELOG.md and ``docs/`` resolves, and README.md stays a short front door.

Anchors are the slugs GitHub gives headings (lower case; everything but letters, digits, ``_``,
``-`` and spaces dropped; spaces become ``-``; a repeated heading gets ``-1``, ``-2``...), plus
explicit ``<a id="...">`` anchors. Links inside code (fenced blocks and backticks) are text, not
links, and are left alone; links with a scheme (``https:``, ``mailto:``) are not followed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
README_LIMIT = 8 * 1024  # bytes: the front door fits on a screen or two; guides go in docs/

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_INLINE_CODE = re.compile(r"(`+).+?\1")
# [text](target "title") and ![alt](target); the text may hold one level of brackets.
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$")
_HTML_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:|^//")


def documents() -> list[Path]:
    found = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return [path for path in found if path.is_file()]


def _prose(path: Path) -> Iterator[tuple[int, str]]:
    """The lines outside fenced code blocks, numbered from 1."""
    fenced = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link shows its text
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    seen: Counter[str] = Counter()
    found: set[str] = set()
    for _, line in _prose(path):
        found.update(_HTML_ANCHOR.findall(line))
        heading = _HEADING.match(line)
        if heading is None:
            continue
        base = slug(heading.group(1))
        found.add(base if seen[base] == 0 else f"{base}-{seen[base]}")
        seen[base] += 1
    return frozenset(found)


def links(path: Path) -> Iterator[tuple[int, str]]:
    for number, line in _prose(path):
        text = _INLINE_CODE.sub("", line)
        for match in _LINK.finditer(text):
            yield number, match.group(1)
        reference = _REFERENCE.match(text)
        if reference:
            yield number, reference.group(1)


def problem(document: Path, target: str, root: Path = ROOT) -> str | None:
    """Why a link does not resolve, or None."""
    if _SCHEME.match(target):
        return None
    if not target:
        return "empty link"
    location, _, fragment = target.partition("#")
    resolved = (document.parent / unquote(location)).resolve() if location else document
    if not resolved.is_relative_to(root):
        return "points outside the repository"
    if not resolved.exists():
        return "no such file"
    if not fragment:
        return None
    if resolved.is_dir():
        resolved = resolved / "README.md"
    if resolved.suffix != ".md" or not resolved.is_file():
        return "an anchor into something that is not a Markdown page"
    if unquote(fragment) not in anchors(resolved):
        return f"no heading with the anchor #{fragment} in {resolved.relative_to(root)}"
    return None


@pytest.mark.parametrize("document", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(document: Path) -> None:
    broken = [
        f"{document.relative_to(ROOT)}:{number}: {target} ({reason})"
        for number, target in links(document)
        if (reason := problem(document, target)) is not None
    ]
    assert not broken, "\n".join(broken)


def test_the_guides_exist_and_the_readme_links_them() -> None:
    readme = {target.partition("#")[0] for _, target in links(ROOT / "README.md")}
    for page in ("operators.md", "architecture.md", "sandbox.md", "development.md", "security.md"):
        assert f"docs/{page}" in readme, page
    assert "docs/users/README.md" in readme


def test_readme_is_a_short_front_door() -> None:
    size = len((ROOT / "README.md").read_bytes())
    assert size < README_LIMIT, f"README.md is {size} bytes; move detail into docs/"


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Polling or webhook?", "polling-or-webhook"),
        (
            "The house: layers and the direction of imports",
            "the-house-layers-and-the-direction-of-imports",
        ),
        ("Exporting entries (`/ekspor`)", "exporting-entries-ekspor"),
        ("[0.1.0] - 2026-11-24", "010---2026-11-24"),
        ("`SIGAP_DATA_DIR` and **backups**", "sigap_data_dir-and-backups"),
        ("Pengaduan & aspirasi — warga", "pengaduan--aspirasi--warga"),
    ],
)
def test_anchors_are_githubs_heading_slugs(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def test_a_repeated_heading_gets_a_numbered_anchor(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Notes\n## Notes\n```\n# not a heading\n```\n## Notes\n", encoding="utf-8")
    assert anchors(page) == {"notes", "notes-1", "notes-2"}


def test_broken_links_are_found(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "# Here\n"
        "[ok](other.md#other-page) [ok](#here) [ok](https://example.org/x#y) `[code](nowhere.md)`\n"
        "[missing](nowhere.md) [bad anchor](other.md#elsewhere) [bad](#there) [out](../x.md)\n",
        encoding="utf-8",
    )
    reasons = [problem(page, target, root=tmp_path) for _, target in links(page)]
    assert reasons[:3] == [None, None, None]
    assert reasons[3] == "no such file"
    assert reasons[4] is not None and "#elsewhere" in reasons[4]
    assert reasons[5] is not None and "#there" in reasons[5]
    assert reasons[6] == "points outside the repository"
    assert len(reasons) == 7
