"""Configuration: file, environment, validation and masking."""

from __future__ import annotations

from pathlib import Path

import pytest

from inboxd.errors import ConfigError
from inboxd.settings import load_settings, public_view


def test_env_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """INBOXD_* variables (nested with __) win over the TOML file."""
    config = tmp_path / "inboxd.toml"
    config.write_text('root = "/srv/in"\nsettle_seconds = 9\n[store]\ntimeout_seconds = 3\n')
    monkeypatch.setenv("INBOXD_SETTLE_SECONDS", "2.5")
    monkeypatch.setenv("INBOXD_STORE__TIMEOUT_SECONDS", "4")
    settings = load_settings(config)
    assert settings.settle_seconds == 2.5 and settings.store.timeout_seconds == 4
    assert settings.dirs()["inbox"] == Path("/srv/in/inbox")
    assert settings.db_path == Path("/srv/in/inboxd.db")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("settle_secnds = 3\n", "settle_secnds: Extra inputs are not permitted"),
        ("[store]\nbackend = 'mysql'\n", "store.backend"),
        ("settle_seconds = -1\n", "settle_seconds"),
        ('inbox_dir = "/x/in"\ndone_dir = "/x/in/done"\n', "overlap or nest"),
        ('inbox_dir = "/x/a"\nfailed_dir = "/x/a"\n', "overlap or nest"),
        ("root = [\n", "cannot read config"),
    ],
)
def test_bad_configuration_is_one_line_error(tmp_path: Path, toml: str, message: str) -> None:
    """Typos, bad values and overlapping directories are refused with a one-line reason."""
    config = tmp_path / "inboxd.toml"
    config.write_text(toml)
    with pytest.raises(ConfigError) as err:
        load_settings(config)
    assert message in err.value.message and "\n" not in err.value.message
    assert err.value.exit_code == 78


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    """An explicit --config that does not exist is refused."""
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml")


def test_secret_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Supabase key never appears in the printed configuration."""
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", "super-secret-key")
    settings = load_settings(None)
    assert settings.store.supabase_key is not None
    assert settings.store.supabase_key.get_secret_value() == "super-secret-key"
    assert "super-secret-key" not in repr(public_view(settings))
    assert "super-secret-key" not in repr(settings)


def test_paths_in_a_file_are_relative_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``root = "var"`` in /etc/x/inboxd.toml means /etc/x/var, whatever the working directory."""
    config = tmp_path / "conf" / "inboxd.toml"
    config.parent.mkdir()
    config.write_text('root = "../tree"\n[store]\nsqlite_path = "jobs.db"\n')
    monkeypatch.chdir("/")
    settings = load_settings(config)
    assert settings.dirs()["inbox"] == tmp_path / "tree" / "inbox"
    assert settings.db_path == tmp_path / "conf" / "jobs.db"


def test_misspelt_environment_variable_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """An INBOXD_ variable that names no setting is refused, like a typo in the file."""
    monkeypatch.setenv("INBOXD_SETLE_SECONDS", "3")
    with pytest.raises(ConfigError, match=r"unknown environment variable.*INBOXD_SETLE_SECONDS"):
        load_settings(None)


def test_example_config_documents_every_setting() -> None:
    """config/inboxd.example.toml is valid and names every setting with its variable."""
    import tomllib

    from inboxd.settings import ApiSettings, Settings, StoreSettings

    path = Path(__file__).resolve().parents[2] / "config" / "inboxd.example.toml"
    text = path.read_text()
    load_settings(path)
    tomllib.loads(text)
    for name in Settings.model_fields:
        if name not in ("store", "api"):
            assert f"{name} =" in text and f"INBOXD_{name.upper()}" in text, name
    for name in StoreSettings.model_fields:
        assert f"{name} =" in text and f"INBOXD_STORE__{name.upper()}" in text, name
    for name in ApiSettings.model_fields:
        assert f"{name} =" in text and f"INBOXD_API__{name.upper()}" in text, name


def test_api_settings_from_env_and_token_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    """INBOXD_API__* set the HTTP intake; its bearer token never appears in the printout."""
    monkeypatch.setenv("INBOXD_API__PORT", "8123")
    monkeypatch.setenv("INBOXD_API__ALLOWED_KINDS", '["pdf", "png"]')
    monkeypatch.setenv("INBOXD_API__TOKEN", "bearer-secret")
    settings = load_settings(None)
    assert settings.api.port == 8123 and settings.api.allowed_kinds == ["pdf", "png"]
    assert settings.api.token is not None
    assert settings.api.token.get_secret_value() == "bearer-secret"
    assert "bearer-secret" not in repr(public_view(settings)) + repr(settings)


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("INBOXD_API__ALLOWED_KINDS", '["exe"]', "api.allowed_kinds"),
        ("INBOXD_API__PORT", "0", "api.port"),
        ("INBOXD_API__PROT", "80", "INBOXD_API__PROT"),
    ],
)
def test_bad_api_settings_are_refused(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, message: str
) -> None:
    """Unknown kinds, impossible ports and misspelt INBOXD_API__ variables are errors."""
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError, match=message):
        load_settings(None)


def test_key_is_stripped_and_control_characters_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A key read from a file with its newline works; a key with control bytes is refused unsaid."""
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", "sekrit-key\n")
    assert load_settings(None).store.supabase_key.get_secret_value() == "sekrit-key"  # type: ignore[union-attr]
    monkeypatch.setenv("INBOXD_STORE__SUPABASE_KEY", "sek\x01rit")
    with pytest.raises(ConfigError) as err:
        load_settings(None)
    assert "control characters" in err.value.message and "sek" not in err.value.message
