"""Settings validation and the completeness of the text catalogues."""

from __future__ import annotations

import string

import pytest

from domain.nip import NIP_PROBLEM_CODES
from services.settings import ConfigError, load_settings
from texts import Html, catalogue, texts


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    indonesian, english = catalogue("id"), catalogue("en")
    assert set(indonesian) == set(english)
    for key in indonesian:
        assert _fields(indonesian[key]) == _fields(english[key]), key


def test_every_nip_problem_has_a_text() -> None:
    for language in ("id", "en"):
        for code in NIP_PROBLEM_CODES:
            assert texts(language).has(f"nip.{code}"), (language, code)


def test_parameters_are_html_escaped_unless_marked_safe() -> None:
    tr = texts("id")
    rendered = tr.t("start.linked", name="<b>Ani</b> & co", nip="1")
    assert "&lt;b&gt;Ani&lt;/b&gt; &amp; co" in rendered
    assert tr.t("start.linked", name=Html("<i>x</i>"), nip="1").count("<i>x</i>") == 1


def test_unknown_language_falls_back_to_indonesian() -> None:
    assert texts("fr").language == "id"


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"SIGAP_TIMEZONE": "Asia/Belawan"}, "SIGAP_TIMEZONE: unknown time zone"),
        ({"SIGAP_ADMIN_IDS": "12, abc"}, "SIGAP_ADMIN_IDS"),
        ({"SIGAP_DEFAULT_LANGUAGE": "jv"}, "SIGAP_DEFAULT_LANGUAGE: must be one of id, en"),
        ({"SIGAP_LOG_LEVEL": "LOUD"}, "SIGAP_LOG_LEVEL"),
        ({"TELEGRAM_API_BASE_URL": "api.telegram.org"}, "TELEGRAM_API_BASE_URL"),
        ({"SIGAP_CONCURRENT_UPDATES": "0"}, "SIGAP_CONCURRENT_UPDATES"),
        ({"SIGAP_WEBHOOK_SECRET": "x" * 257}, "SIGAP_WEBHOOK_SECRET: must be 32-256"),
        ({"SIGAP_WEBHOOK_SECRET": "x"}, "SIGAP_WEBHOOK_SECRET: must be 32-256"),
        ({"SIGAP_WEBHOOK_SECRET": "x" * 31}, "SIGAP_WEBHOOK_SECRET: must be 32-256"),
        ({"SIGAP_WEBHOOK_SECRET": "rahasia!" * 4}, "SIGAP_WEBHOOK_SECRET"),
        ({"SIGAP_ADMIN_IDS": "111, -1001234567890"}, "SIGAP_ADMIN_IDS: -1001234567890 is a group"),
        ({"SIGAP_ADMIN_IDS": "0"}, "SIGAP_ADMIN_IDS"),
        ({"SIGAP_WEBHOOK_URL": "http://sigap.example.go.id/telegram"}, "https://"),
        ({"SIGAP_WEBHOOK_URL": "https://sigap.example.go.id:9000/tg"}, "443, 80, 88 or 8443"),
        ({"SIGAP_WEBHOOK_URL": "sigap.example.go.id/telegram"}, "SIGAP_WEBHOOK_URL"),
        ({"SIGAP_WEBHOOK_PORT": "70000"}, "SIGAP_WEBHOOK_PORT"),
        ({"SIGAP_REMINDER_TIMES": "14:00,jam 3"}, "SIGAP_REMINDER_TIMES: must be times"),
        ({"SIGAP_REMINDER_TIMES": "25:00"}, "SIGAP_REMINDER_TIMES"),
        ({"SIGAP_REMINDER_QUIET_FROM": "20:00,21:00"}, "SIGAP_REMINDER_QUIET_FROM: must be one"),
        ({"SIGAP_SURVEY_SECRET": "pendek"}, "SIGAP_SURVEY_SECRET"),
    ],
)
def test_bad_settings_give_one_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], fragment: str
) -> None:
    monkeypatch.chdir("/")  # no .env from the developer's checkout
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


def test_settings_defaults_and_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/")
    monkeypatch.setenv("SIGAP_ADMIN_IDS", "111, 222 333")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/bot/")
    settings = load_settings()
    assert settings.admin_ids == [111, 222, 333]
    assert settings.bot_api_url == "http://127.0.0.1:8081/bot"
    assert settings.bot_file_url == "http://127.0.0.1:8081/file/bot"
    assert settings.timezone == "Asia/Jakarta"
    assert settings.default_language == "id"
    assert (settings.reminder_times, settings.reminder_quiet_from) == ("14:00,15:30", "20:00")


def test_times_are_read_as_the_units_cli_reads_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """The setting and `sigap units schedule --reminders` accept the same spellings."""
    monkeypatch.chdir("/")
    monkeypatch.setenv("SIGAP_REMINDER_TIMES", "15.30, 9:05")
    monkeypatch.setenv("SIGAP_REMINDER_QUIET_FROM", "19.45")
    settings = load_settings()
    assert (settings.reminder_times, settings.reminder_quiet_from) == ("09:05,15:30", "19:45")
    assert settings.resolved_database_url.endswith("data/sigap.db")


@pytest.mark.parametrize("token", [None, "", "abc", "123:short", "12345678:has spaces in it xx"])
def test_token_is_required_and_checked(monkeypatch: pytest.MonkeyPatch, token: str | None) -> None:
    monkeypatch.chdir("/")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    if token is not None:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        load_settings().require_token()


def test_the_survey_secret_outlives_a_new_bot_token(monkeypatch: pytest.MonkeyPatch) -> None:
    from models.survey import receipt_key

    monkeypatch.chdir("/")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456789:first-token-AAAAAAAAAAAAAAAAAAAAAAAAAA")
    by_token = receipt_key(load_settings().survey_receipt_secret())
    monkeypatch.setenv("SIGAP_SURVEY_SECRET", "0123456789abcdef0123")
    kept = receipt_key(load_settings().survey_receipt_secret())
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456789:second-token-BBBBBBBBBBBBBBBBBBBBBBBBB")
    assert receipt_key(load_settings().survey_receipt_secret()) == kept != by_token
    monkeypatch.delenv("SIGAP_SURVEY_SECRET")
    assert receipt_key(load_settings().survey_receipt_secret()) != by_token  # the token's turn
