"""Reading descriptions: versions, YAML or JSON, `$ref` chains and cycles, composition, bad documents."""

from __future__ import annotations

import json

import pytest

from restsync.errors import ConfigError
from restsync.openapi import choose, infer_config, list_collections, load_spec


def write(tmp_path, document, name="spec.json"):
    path = tmp_path / name
    path.write_text(json.dumps(document) if name.endswith(".json") else document, encoding="utf-8")
    return str(path)


def doc(paths, schemas=None, **extra):
    return {"openapi": extra.pop("openapi", "3.0.3"), "info": {"title": "T", "version": "1"}, "servers": [{"url": "https://api.t.io"}],
            "paths": paths, "components": {"schemas": schemas or {}}, **extra}


def listing(schema, parameters=None):
    return {"get": {"operationId": "list", "parameters": parameters or [],
                    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}}}


def test_reference_cycles_end_instead_of_recursing(tmp_path):
    schemas = {
        "Loop": {"$ref": "#/components/schemas/Loop2"}, "Loop2": {"$ref": "#/components/schemas/Loop"},
        "Node": {"type": "object", "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                                                  "child": {"$ref": "#/components/schemas/Node"},
                                                  "odd": {"$ref": "#/components/schemas/Loop"}}},
        "Self": {"allOf": [{"$ref": "#/components/schemas/Self"}]},
    }
    spec = load_spec(write(tmp_path, doc({
        "/nodes": listing({"type": "array", "items": {"$ref": "#/components/schemas/Node"}}),
        "/loops": listing({"$ref": "#/components/schemas/Loop"}),
        "/selves": listing({"type": "array", "items": {"$ref": "#/components/schemas/Self"}}),
    }, schemas)))
    assert [e.path for e in list_collections(spec)] == ["/nodes"]
    config = infer_config(spec, choose(spec, path="/nodes")).config
    assert config["id_field"] == "id" and config["title_field"] == "title"
    assert not any(path.startswith("child.") for path in config.get("metadata_fields", []))
    assert any("reference cycle" in note for note in spec.notes)


def test_pointer_escapes_external_references_and_missing_targets(tmp_path):
    schemas = {"a/b~c": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}}
    spec = load_spec(write(tmp_path, doc({
        "/escaped": listing({"type": "array", "items": {"$ref": "#/components/schemas/a~1b~0c"}}),
        "/external": listing({"$ref": "other.yaml#/components/schemas/Thing"}),
        "/missing": listing({"$ref": "#/components/schemas/Nope"}),
    }, schemas)))
    assert [e.path for e in list_collections(spec)] == ["/escaped"]
    assert "reference to another document not followed: other.yaml#/components/schemas/Thing" in spec.notes
    assert "reference target not found: #/components/schemas/Nope" in spec.notes
    suggestion = infer_config(spec, choose(spec, path="escaped"))
    assert any("other.yaml" in w for w in suggestion.warnings)  # the reader is told what was not read


def test_openapi_31_type_lists_nested_envelopes_and_all_of(tmp_path):
    item = {"type": "object", "properties": {"key": {"type": "string"}, "headline": {"type": ["string", "null"]},
                                             "modified": {"type": "string", "format": "date-time"}}}
    spec = load_spec(write(tmp_path, doc({
        "/search": listing({"type": "object", "properties": {
            "took": {"type": "integer"},
            "hits": {"type": "object", "properties": {"total": {"type": "integer"},
                                                      "hits": {"type": "array", "items": item}}}}}),
        "/merged": listing({"allOf": [{"type": "object", "properties": {"next_cursor": {"type": "string"}}},
                                      {"properties": {"records": {"type": "array", "items": item}}}]},
                           [{"name": "cursor", "in": "query", "schema": {"type": "string"}}]),
    }, openapi="3.1.0")))
    search = choose(spec, path="/search")
    assert search.items_path == "$.hits.hits"
    merged = infer_config(spec, choose(spec, path="/merged")).config
    assert merged["items_path"] == "$.records"
    assert merged["pagination_type"] == "cursor"
    assert merged["pagination_config"] == {"cursor_param": "cursor", "next_cursor_path": "$.next_cursor"}
    assert merged["title_field"] == "headline" and merged["poll_timestamp_field"] == "modified"


def test_yaml_descriptions_and_api_keys_in_query_and_offset_paging(tmp_path):
    text = """
openapi: 3.0.0
info: {title: Data portal, version: '1'}
servers: [{url: 'https://data.example.org/api'}]
security: [{key: []}]
components:
  securitySchemes:
    key: {type: apiKey, in: query, name: apikey}
paths:
  /records:
    get:
      operationId: records
      parameters:
        - {name: offset, in: query, schema: {type: integer}}
        - {name: limit, in: query, schema: {type: integer, maximum: 1000}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  total_count: {type: integer}
                  results:
                    type: array
                    items:
                      type: object
                      properties:
                        uid: {type: string}
                        name: {type: string}
                        description: {type: string}
"""
    spec = load_spec(write(tmp_path, text, "spec.yaml"))
    config = infer_config(spec, choose(spec, operation="records")).config
    assert config["auth_type"] == "api_key_query" and config["auth_config"] == {"param_name": "apikey"}
    assert config["credentials"] == {"api_key": "${EXAMPLE_API_KEY}"}
    assert config["pagination_type"] == "offset"
    assert config["pagination_config"] == {"offset_param": "offset", "limit_param": "limit", "limit": 100,
                                           "total_path": "$.total_count"}
    assert config["id_field"] == "uid"


@pytest.mark.parametrize(("content", "message"), [
    ("not: [valid", "neither JSON nor YAML"),
    ("[1, 2]", "does not hold an OpenAPI document"),
    ('{"openapi": "4.0"}', "not an OpenAPI 3.x or Swagger 2.0 description (openapi: '4.0')"),
    ("title: nothing", "no version key"),
])
def test_bad_documents_are_config_errors_naming_the_flag(tmp_path, content, message):
    path = tmp_path / "spec.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match="--openapi") as caught:
        load_spec(str(path))
    assert message in str(caught.value)
    with pytest.raises(ConfigError, match="cannot read"):
        load_spec(str(tmp_path / "absent.yaml"))


def test_relative_servers_in_a_file_need_the_server_flag(tmp_path):
    spec = load_spec(write(tmp_path, doc({"/x": listing({"type": "array", "items": {
        "type": "object", "properties": {"id": {"type": "string"}, "body": {"type": "string"}}}})},
        servers=[{"url": "/api"}])))
    with pytest.raises(ConfigError, match="--server"):
        infer_config(spec, choose(spec, path="/x"))
    assert infer_config(spec, choose(spec, path="/x"), server="https://h.io/api").config["url"] == "https://h.io/api/x"


def test_odata_envelope_next_link_with_a_dot_in_its_name_and_numeric_response_codes(tmp_path):
    text = """
openapi: 3.0.1
info: {title: Graph, version: v1.0}
servers: [{url: 'https://graph.microsoft.com/v1.0'}]
paths:
  /me/messages:
    get:
      operationId: me.ListMessages
      parameters:
        - {name: $top, in: query, schema: {type: integer, minimum: 0}}
      responses:
        200:
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  '@odata.nextLink': {type: string, nullable: true}
                  value:
                    type: array
                    items:
                      type: object
                      properties:
                        id: {type: string}
                        subject: {type: string}
                        bodyPreview: {type: string}
                        webLink: {type: string}
                        lastModifiedDateTime: {type: string, format: date-time}
"""
    spec = load_spec(write(tmp_path, text, "graph.yaml"))
    config = infer_config(spec, choose(spec, operation="me.ListMessages")).config
    assert config["items_path"] == "$.value"
    assert config["pagination_type"] == "next_url"
    assert config["pagination_config"] == {"next_url_path": "$['@odata.nextLink']"}
    assert config["title_field"] == "subject" and config["link_field"] == "webLink"
    assert config["poll_timestamp_field"] == "lastModifiedDateTime"


def _swagger2(security, definitions):
    return {"swagger": "2.0", "info": {"title": "Legacy", "version": "1"}, "host": "legacy.example.com",
            "schemes": ["http"], "basePath": "/api", "security": security, "securityDefinitions": definitions,
            "paths": {"/items": {"get": {"responses": {"200": {"description": "ok", "schema": {
                "type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"},
                                                                            "text": {"type": "string"}}}}}}}}}}


@pytest.mark.parametrize(("security", "definitions", "expected"), [
    ([{"cc": ["read"]}], {"cc": {"type": "oauth2", "flow": "application", "tokenUrl": "https://legacy.example.com/token",
                                 "scopes": {"read": "r"}}},
     {"auth_type": "oauth2_client_credentials",
      "auth_config": {"token_url": "https://legacy.example.com/token", "client_id": "${EXAMPLE_CLIENT_ID}",
                      "scope": "read"},
      "credentials": {"client_secret": "${EXAMPLE_CLIENT_SECRET}"}}),
    ([{"b": []}], {"b": {"type": "basic"}},
     {"auth_type": "basic", "credentials": {"username": "${EXAMPLE_USERNAME}", "password": "${EXAMPLE_PASSWORD}"}}),
    ([], {"b": {"type": "basic"}}, {}),  # an empty requirement list: public
    ([{"k": [], "s": []}, {"c": []}], {"k": {"type": "apiKey", "in": "header", "name": "K"},
                                       "s": {"type": "apiKey", "in": "header", "name": "S"},
                                       "c": {"type": "apiKey", "in": "cookie", "name": "sid"}}, {}),
])
def test_swagger2_security_definitions(tmp_path, security, definitions, expected):
    spec = load_spec(write(tmp_path, _swagger2(security, definitions)))
    suggestion = infer_config(spec, choose(spec, path="/items"))
    config = suggestion.config
    assert config["url"] == "http://legacy.example.com/api/items"
    assert {k: config[k] for k in ("auth_type", "auth_config", "credentials") if k in config} == expected
    if not expected and security:
        assert any("no supported auth scheme" in w for w in suggestion.warnings)


def test_openid_connect_is_a_bearer_token_and_a_path_level_server_wins(tmp_path):
    document = doc({"/feed": {**listing({"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "string"}, "content": {"type": "string"}}}}), "servers": [{"url": "https://feeds.t.io/v2"}]}},
        security=[{"oidc": []}],
        components={"securitySchemes": {"oidc": {"type": "openIdConnect",
                                                  "openIdConnectUrl": "https://t.io/.well-known/openid-configuration"}}})
    spec = load_spec(write(tmp_path, document))
    config = infer_config(spec, choose(spec, path="/feed")).config
    assert config["url"] == "https://feeds.t.io/v2/feed"
    assert config["auth_type"] == "bearer" and config["credentials"] == {"token": "${T_TOKEN}"}
