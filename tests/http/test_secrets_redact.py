"""The redaction rules: which names are sensitive, how URLs and messages are masked."""

from __future__ import annotations

import pytest

from restsync.http.redact import MASK, Redactor, is_sensitive_name, secret_parts


@pytest.mark.parametrize("name", [
    "Authorization", "Proxy-Authorization", "Cookie", "X-API-Key", "X-Key", "x-auth-token", "X-Session-Id",
    "X-Hub-Signature", "token", "key", "apikey", "api_key", "api-key", "access_token", "auth", "secret",
    "client_secret", "password", "passwd", "private_token", "signature", "sig", "session", "author_token",
])
def test_credential_names_are_sensitive(name):
    assert is_sensitive_name(name)
    assert is_sensitive_name(name.upper())


@pytest.mark.parametrize("name", ["Accept", "page", "per_page", "q", "author", "authors", "author_id",
                                  "keyword", "keywords", "state", "X-GitHub-Api-Version", "since"])
def test_ordinary_names_are_not(name):
    assert not is_sensitive_name(name)


def test_secret_parts_split_a_scheme_word_from_its_credential():
    assert secret_parts("Token RAWSECRET") == ["Token RAWSECRET", "RAWSECRET"]
    assert secret_parts("  plainvalue ") == ["plainvalue"]
    assert secret_parts("") == []


def test_sensitive_query_values_are_masked_in_any_url_by_name():
    redactor = Redactor()
    text = redactor.describe("get", "https://api.test/x?page=2&token=T0K3N&X-Amz-Signature=abcd&q=cats")
    assert text == f"GET https://api.test/x?page=2&token={MASK}&X-Amz-Signature={MASK}&q=cats"


def test_percent_encoded_names_are_recognised():
    assert "hidden" not in Redactor().redact("https://api.test/x?api%5Fkey=hidden&a=1")


def test_registered_secrets_are_masked_anywhere_and_in_encoded_form():
    redactor = Redactor(secrets=["s3cr/et+v@lue"])
    text = redactor.redact("echo: s3cr/et+v@lue; url https://h/x?v=s3cr%2Fet%2Bv%40lue&w=s3cr%2Fet%2Bv%40lue")
    assert "s3cr" not in text
    assert text.count(MASK) == 3


def test_a_secret_under_an_ordinary_name_is_masked_as_that_value():
    text = Redactor(secrets=["ENVQVALUE"]).redact("GET https://h/x?q=ENVQVALUE&page=1")
    assert text == f"GET https://h/x?q={MASK}&page=1"


def test_longest_secret_wins_when_one_contains_another():
    text = Redactor(secrets=["abcd", "abcdefgh"]).redact("value abcdefgh")
    assert text == f"value {MASK}"


def test_short_secrets_are_masked_only_as_whole_values():
    redactor = Redactor(secrets=["ab"])
    text = redactor.redact("about the cab: x-code=ab, Header: ab\nGET https://h/x?c=ab&d=abc")
    assert text == f"about the cab: x-code={MASK}, Header: {MASK}\nGET https://h/x?c={MASK}&d=abc"


def test_dynamic_secrets_are_read_at_redaction_time():
    tokens: list[str] = []
    redactor = Redactor(dynamic_secrets=lambda: tokens)
    assert redactor.redact("bearer fresh-token-1") == "bearer fresh-token-1"
    tokens.append("fresh-token-1")
    assert redactor.redact("bearer fresh-token-1") == f"bearer {MASK}"


def test_extra_names_and_per_call_secrets():
    redactor = Redactor(query_params=["custom"])
    assert redactor.redact("https://h/?custom=zzz") == f"https://h/?custom={MASK}"
    assert redactor.redact("said PER-CALL-SECRET", ["PER-CALL-SECRET"]) == f"said {MASK}"
    assert redactor.redact("said PER-CALL-SECRET") == "said PER-CALL-SECRET"  # per call only


def test_url_userinfo_password_is_masked():
    assert Redactor().redact("https://user:pw123@h.test/x") == f"https://user:{MASK}@h.test/x"
