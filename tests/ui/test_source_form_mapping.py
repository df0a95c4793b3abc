"""The source form's config <-> form mapping (static/source-form.js), run in Chromium: a config
loaded into the form and sent back keeps every key, shows only what its types need, and keeps
stored secrets as "***"."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright")

RAGFLOW_CONFIG = {
    "url": "https://api.example.com/v1/{space}/articles?lang=en",
    "method": "POST",
    "query_params": "space=docs\nstatus=published",
    "headers": '{"Accept": "application/json"}',
    "request_body": {"filter": {"state": "open"}},
    "auth_type": "api_key_header",
    "auth_config": {"header_name": "X-Api-Key", "api_key_value": "k-123"},
    "items_path": "$.data.items",
    "id_field": "id",
    "content_fields": "title,body.html",
    "metadata_fields": ["author.name", "tags[*].name"],
    "poll_timestamp_field": "updated_at",
    "pagination_type": "cursor",
    "pagination_config": {"cursor_param": "after", "next_cursor_path": "$.meta.next", "cursor_in": "body",
                          "page_size": 50, "next_cursor_field": "legacy"},
    "field_type_hints": {"updated_at": "date"},
    "field_default_values": {"priority": 3},
    "batch_size": 10,
    "max_pages": 20,
    "request_delay": 0.5,
    "poll_time_format": "epoch",
    "ui_only_key": {"kept": True},
}


def round_trip(page, config, stored=False, change=""):
    return page.evaluate(
        """([config, stored, change]) => {
             const { form, storedSecrets } = configToForm(config, stored);
             if (change) new Function("form", change)(form);
             return formToConfig(form, storedSecrets);
           }""", [config, stored, change])


@pytest.fixture
def form_page(browser_page, ui_only_server):
    browser_page.goto(ui_only_server + "/login")
    browser_page.add_script_tag(url=ui_only_server + "/ui/static/source-form.js")
    return browser_page


def test_a_ragflow_config_survives_the_form(form_page) -> None:
    config = round_trip(form_page, RAGFLOW_CONFIG)
    assert config["url"] == RAGFLOW_CONFIG["url"]
    assert config["method"] == "POST"
    assert config["query_params"] == {"space": "docs", "status": "published"}
    assert config["headers"] == {"Accept": "application/json"}
    assert config["request_body"] == {"filter": {"state": "open"}}
    # The key moves to credentials (where secrets live); the header name stays in auth_config.
    assert config["auth_type"] == "api_key_header"
    assert config["auth_config"] == {"header_name": "X-Api-Key"}
    assert config["credentials"] == {"api_key": "k-123"}
    assert config["content_fields"] == ["title", "body.html"]
    assert config["metadata_fields"] == ["author.name", "tags[*].name"]
    # Cursor pagination keeps its own keys (and ones the form does not know); page keys go.
    assert config["pagination_config"] == {"cursor_param": "after", "next_cursor_path": "$.meta.next",
                                           "cursor_in": "body", "cursor_from": "response",
                                           "next_cursor_field": "legacy"}
    assert config["field_type_hints"] == {"updated_at": "date"}
    assert config["field_default_values"] == {"priority": 3}
    assert config["max_pages"] == 20 and config["request_delay"] == 0.5
    # Keys the form does not show are sent back as they came.
    for key in ("batch_size", "poll_time_format", "ui_only_key"):
        assert config[key] == RAGFLOW_CONFIG[key]


def test_stored_secrets_stay_masked_and_a_new_one_replaces_them(form_page) -> None:
    saved = {"url": "https://api.example.com/items", "auth_type": "basic",
             "auth_config": {"username": "bot"}, "credentials": {"password": "***"}}
    assert round_trip(form_page, saved, stored=True)["credentials"] == {"password": "***"}
    changed = round_trip(form_page, saved, stored=True, change="form.auth.password = 'new-pass'")
    assert changed["credentials"] == {"password": "new-pass"}
    assert changed["auth_config"] == {"username": "bot"}
    # Without a stored secret (a pasted config), "***" is no secret at all: nothing is sent.
    assert "credentials" not in round_trip(form_page, saved, stored=False)


def test_switching_types_sends_only_the_new_types_fields(form_page) -> None:
    config = round_trip(form_page, RAGFLOW_CONFIG, change="""
        form.auth_type = 'bearer'; form.auth.token = 't-1';
        form.pagination_type = 'page'; form.pg.page_size = '25'; form.method = 'GET';""")
    assert config["auth_type"] == "bearer"
    assert config["credentials"] == {"token": "t-1"}
    assert "auth_config" not in config
    assert config["pagination_config"] == {"page_param": "page", "page_size_param": "per_page", "start_page": 1,
                                           "page_size": 25, "page_in": "query", "next_cursor_field": "legacy"}
    assert "request_body" not in config  # GET sends no body


def test_form_errors_name_the_field(form_page) -> None:
    message = form_page.evaluate("""() => {
        const { form } = configToForm({url: 'https://x.example/a', method: 'POST'}, false);
        form.request_body = '{oops';
        try { formToConfig(form, {}); return 'no error'; } catch (err) { return err.message; }
    }""")
    assert message.startswith("Request body: not valid JSON")
    message = form_page.evaluate("""() => {
        const { form } = configToForm({url: 'https://x.example/a'}, false);
        form.adv.max_pages = 'many';
        try { formToConfig(form, {}); return 'no error'; } catch (err) { return err.message; }
    }""")
    assert message == "max_pages: must be a number, got “many”"
