"""Webhook settings: checked like Telegram checks them (the bad values with the others in
``test_settings_texts``), one line when missing."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.webhook import webhook_path
from services.settings import ConfigError, load_settings

TOKEN = "123456789:TEST-token-for-the-emulator_xyz"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/")  # no .env from the developer's checkout
    for name in ("SIGAP_WEBHOOK_URL", "SIGAP_WEBHOOK_SECRET", "SIGAP_WEBHOOK_PORT"):
        monkeypatch.delenv(name, raising=False)


def test_a_bad_secret_is_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGAP_WEBHOOK_SECRET", "almost right")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "SIGAP_WEBHOOK_SECRET: must be 32-256" in str(caught.value)
    assert "almost" not in str(caught.value)


def test_good_webhook_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGAP_WEBHOOK_URL", "https://sigap.example.go.id/telegram")
    monkeypatch.setenv("SIGAP_WEBHOOK_SECRET", "a" * 256)
    settings = load_settings()
    assert settings.require_webhook() == ("https://sigap.example.go.id/telegram", "a" * 256)
    assert (settings.webhook_listen, settings.webhook_port) == ("127.0.0.1", 8443)
    assert webhook_path(settings.webhook_url or "") == "/telegram"
    assert webhook_path("https://sigap.example.go.id") == "/"
    # A Bot API server or the emulator on this machine may use plain HTTP and any port.
    monkeypatch.setenv("SIGAP_WEBHOOK_URL", "http://127.0.0.1:9000/telegram")
    assert load_settings().webhook_url == "http://127.0.0.1:9000/telegram"


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"SIGAP_WEBHOOK_URL": "https://sigap.example.go.id/telegram"}, "SIGAP_WEBHOOK_SECRET"),
        ({"SIGAP_WEBHOOK_SECRET": "rahasia-" * 4}, "SIGAP_WEBHOOK_URL"),
    ],
)
def test_run_webhook_without_its_settings_stops_with_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    missing: str,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exited:
        main(["run", "--webhook"])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith(f"sigap: {missing} is not set") and err.count("\n") == 1
