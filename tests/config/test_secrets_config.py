"""SourceConfig.secret_values(): every value of a config that must never be shown."""

from __future__ import annotations

from pathlib import Path

from restsync.config import SourceConfig, load_config

ENV = {"HK": "ENVHDRSECRET", "QK": "ENVQSECRET", "QV": "ENVQVALUE", "HOST": "api.example.test"}


def test_env_values_are_secrets_whatever_their_key(tmp_path: Path):
    path = tmp_path / "source.yaml"
    path.write_text(
        'url: "https://${HOST}/items"\n'
        'headers: {X-Key: "${HK}", Accept: application/json}\n'
        'query_params: {token: "${QK}", q: "${QV}", state: open}\n'
        "content_fields: [title]\n",
        encoding="utf-8",
    )
    config = load_config(path, env=ENV)
    secrets = config.secret_values()
    for value in ENV.values():
        assert value in secrets
    assert "application/json" not in secrets and "open" not in secrets
    assert config.query_params["q"] == "ENVQVALUE"  # substitution itself is unchanged


def test_env_values_do_not_leak_through_repr_or_to_dict():
    config = load_config({"url": "https://h.test/x", "query_params": {"token": "${QK}"}}, env=ENV)
    assert "ENVQSECRET" not in repr(config)
    assert "'token': '***'" in repr(config)  # the key is shown, its value masked
    assert "env_values" not in config.to_dict()
    assert config.to_dict()["query_params"] == {"token": "***"}
    assert config.env_values == ("ENVQSECRET",)  # the value is held, for sending, just never shown


def test_no_env_reference_means_no_env_values():
    config = load_config({"url": "https://h.test/x", "query_params": {"q": "cats"}}, env=ENV)
    assert config.env_values == () and config.secret_values() == []


def test_plain_values_under_sensitive_names():
    config = SourceConfig.from_mapping({
        "url": "https://h.test/x?api_key=URLKEYSECRET&page=1",
        "query_params": {"key": "QSECRET", "author": "alice", "per_page": "50"},
        "headers": {"X-Session-Token": "SESSIONSECRET", "User-Agent": "me"},
    })
    assert set(config.secret_values()) == {"URLKEYSECRET", "QSECRET", "SESSIONSECRET"}


def test_ragflow_style_header_text_with_an_authorization_scheme():
    config = SourceConfig.from_mapping({"url": "https://h.test/x", "headers": "Authorization=Token RAWSECRET"})
    assert config.secret_values() == ["Token RAWSECRET", "RAWSECRET"]


def test_credentials_and_auth_config_secrets():
    config = SourceConfig.from_mapping({
        "url": "https://h.test/x",
        "auth_type": "oauth2_client_credentials",
        "auth_config": {"token_url": "https://h.test/oauth/token", "client_id": "my-client",
                        "client_secret": "CLIENTSECRET", "refresh_token": "REFRESHSECRET"},
        "credentials": {"username": "svc-user", "password": "PASSWORDSECRET"},
    })
    secrets = config.secret_values()
    for value in ("CLIENTSECRET", "REFRESHSECRET", "PASSWORDSECRET", "svc-user"):
        assert value in secrets
    # Keys that only look sensitive hold no secret: the token endpoint stays readable in messages.
    assert "https://h.test/oauth/token" not in secrets and "my-client" not in secrets


def test_api_key_value_fallback_in_auth_config_is_a_secret():
    config = SourceConfig.from_mapping({"url": "https://h.test/x", "auth_type": "api_key_header",
                                        "auth_config": {"header_name": "X-API-Key", "api_key_value": "UIKEY123"}})
    assert "UIKEY123" in config.secret_values() and "X-API-Key" not in config.secret_values()


def test_secret_values_have_no_repeats_or_blanks():
    config = load_config({"url": "https://h.test/x", "headers": {"X-Token": "${HK}", "X-Blank": ""},
                          "query_params": {"token": "${HK}"}}, env=ENV)
    assert config.secret_values() == ["ENVHDRSECRET"]


def test_to_dict_masks_every_sensitive_header_and_query_value():
    config = SourceConfig.from_mapping({"url": "https://h.test/x", "headers": {"X-Hub-Signature": "SIGVALUE"},
                                        "query_params": {"sig": "SIGQ", "author": "alice"}})
    stored = config.to_dict()
    assert stored["headers"]["X-Hub-Signature"] == "***"
    assert stored["query_params"] == {"sig": "***", "author": "alice"}


def test_to_dict_masks_secrets_under_ordinary_names_everywhere_a_request_carries_them():
    from restsync.config import load_config

    config = load_config(
        {"url": "https://api.example.com/items?token=tok-SECRET-1", "content_fields": ["title"],
         "headers": {"X-Tenant": "${TENANT_KEY}"}, "method": "POST",
         "request_body": {"auth": {"key": "${TENANT_KEY}"}}, "detail_url": "/items/{id}?k=${TENANT_KEY}"},
        env={"TENANT_KEY": "tenant-SECRET-2"},
    )
    text = repr(config) + repr(config.to_dict())
    assert "tok-SECRET-1" not in text and "tenant-SECRET-2" not in text
    assert config.to_dict()["url"].startswith("https://api.example.com/items")
