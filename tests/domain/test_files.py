"""Names of sent files (domain/files.py): the name shown, the name stored, where it is."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from domain.files import (
    content_extension,
    safe_file_name,
    safe_mime,
    stored_name,
    stored_relative,
)


def test_short_names_stay_as_sent() -> None:
    assert safe_file_name("Surat Keterangan Domisili (1).pdf") == (
        "Surat Keterangan Domisili (1).pdf"
    )
    assert safe_file_name(None) is None and safe_file_name("") is None


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("foto\u202egpj.exe", "foto gpj.exe"),  # right-to-left override: "fotoexe.jpg" on screen
        ("../../etc/passwd", "_.._etc_passwd"),
        ("C:\\Users\\siti\\ktp.jpg", "C:_Users_siti_ktp.jpg"),
        ("a\x00b\nc\td.pdf", "a b c d.pdf"),
        ("  ...  ", None),
        ("\ud83d.pdf", "pdf"),  # a lone surrogate (valid JSON, not UTF-8)
    ],
)
def test_control_format_and_path_characters_go(sent: str, kept: str | None) -> None:
    assert safe_file_name(sent) == kept


def test_long_names_keep_their_extension() -> None:
    name = safe_file_name("KTP_" + "x" * 300 + ".pdf")
    assert name is not None and len(name) == 200 and name.endswith("xx….pdf")
    assert safe_file_name("y" * 300) == "y" * 199 + "…"
    # An "extension" that is no extension is cut like the rest.
    odd = safe_file_name("z" * 300 + ".not an extension at all")
    assert odd is not None and len(odd) == 200 and odd.endswith("z…")


def test_names_are_never_cut_inside_a_character() -> None:
    accented = "e\u0301" * 150 + ".pdf"  # é as e + combining accent
    for length in (100, 101):
        name = safe_file_name(accented, length=length)
        assert name is not None and len(name) <= length and name.endswith("e\u0301….pdf")
    thumbs = safe_file_name("👍🏽" * 100, length=100)  # a thumb and its skin tone
    assert thumbs == "👍🏽" * 49 + "…"


def test_mime_types() -> None:
    assert safe_mime("Application/PDF") == "application/pdf"
    assert safe_mime("image/" + "x" * 120) is None
    assert safe_mime("text/html; charset=utf-8") is None
    assert safe_mime(None) is None


@pytest.mark.parametrize(
    ("head", "extension"),
    [
        (b"\xff\xd8\xff\xe0 jpeg", ".jpg"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, ".png"),
        (b"%PDF-1.7 ...", ".pdf"),
        (b"MZ\x90\x00 a Windows program", ""),
        (b"<html><script>", ""),
        (b"#!/bin/sh\nrm -rf /", ""),
        (b"", ""),
    ],
)
def test_stored_extension_comes_from_the_content(head: bytes, extension: str) -> None:
    assert content_extension(head) == extension


def test_stored_names_are_ours() -> None:
    assert stored_name("AgADBAADx-_1", ".pdf") == "AgADBAADx-_1.pdf"
    assert stored_name("../../x", "") == "______x"


@pytest.mark.parametrize(
    ("stored", "relative"),
    [
        ("complaints/2026-11/AgAD.jpg", "complaints/2026-11/AgAD.jpg"),
        ("/srv/sigap/data/evidence/2026-11/AgAD.pdf", "evidence/2026-11/AgAD.pdf"),
        ("data/complaints/2026-11/AgAD.jpg", "complaints/2026-11/AgAD.jpg"),
        ("data\\complaints\\2026-11\\AgAD.jpg", "complaints/2026-11/AgAD.jpg"),
        ("complaints/../../../etc/passwd", None),
        ("AgAD.jpg", None),
        (None, None),
    ],
)
def test_stored_paths_are_found_under_the_data_folder(
    stored: str | None, relative: str | None
) -> None:
    expected = PurePosixPath(relative) if relative else None
    assert stored_relative(stored) == expected
