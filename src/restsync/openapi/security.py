"""Auth from a description's security requirements and schemes, each secret a `${ENV}` placeholder."""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import urljoin

from restsync.openapi.endpoints import Endpoint
from restsync.openapi.spec import Spec
from restsync.suggest import Suggestion


def infer_auth(spec: Spec, endpoint: Endpoint, suggestion: Suggestion, prefix: str, base: str) -> None:
    doc = spec.document
    schemes = (doc.get("securityDefinitions") if spec.is_swagger2 else
               (doc.get("components") or {}).get("securitySchemes")) or {}
    requirements = endpoint.operation.get("security", doc.get("security"))
    if requirements is None:
        if len(schemes) != 1:
            if schemes:
                suggestion.warnings.append(f"the description defines {len(schemes)} security schemes but says "
                                           "which this operation needs: auth left as none, set auth_type")
            return
        requirements, why = [{next(iter(schemes)): []}], "the only security scheme defined"
    else:
        why = "the operation's security requirement" if "security" in endpoint.operation else \
            "the description's global security requirement"
    if not requirements or all(not requirement for requirement in requirements):
        return  # explicitly public
    unsupported = []
    for requirement in requirements:
        if not isinstance(requirement, Mapping) or len(requirement) != 1:
            continue  # several schemes at once (key + secret headers): only as a last resort below
        name, scopes = next(iter(requirement.items()))
        scheme = spec.deref(schemes.get(name))
        if isinstance(scheme, Mapping) and _apply_scheme(spec, name, scheme, scopes or [], suggestion, prefix, why,
                                                         base):
            return
        unsupported.append(str(name))
    suggestion.warnings.append(f"no supported auth scheme among {', '.join(unsupported) or 'the requirements'}: "
                               "set auth_type by hand")


def _apply_scheme(spec: Spec, name: str, scheme: Mapping[str, Any], scopes: list, suggestion: Suggestion,
                  prefix: str, why: str, base: str) -> bool:
    kind = str(scheme.get("type") or "").lower()
    location = str(scheme.get("in") or "").lower()
    http_scheme = str(scheme.get("scheme") or "").lower()
    source = f"security scheme '{name}' ({why})"
    if kind == "apikey" and location == "header":
        suggestion.choose("auth_type", "api_key_header", f"{source}: an API key in the {scheme.get('name')} header")
        suggestion.config["auth_config"] = {"header_name": str(scheme.get("name"))}
        _credentials(suggestion, {"api_key": f"{prefix}_API_KEY"})
    elif kind == "apikey" and location == "query":
        suggestion.choose("auth_type", "api_key_query", f"{source}: an API key in the {scheme.get('name')} query "
                                                         "parameter")
        suggestion.config["auth_config"] = {"param_name": str(scheme.get("name"))}
        _credentials(suggestion, {"api_key": f"{prefix}_API_KEY"})
    elif (kind == "http" and http_scheme == "bearer") or kind == "openidconnect":
        suggestion.choose("auth_type", "bearer", f"{source}: {'HTTP bearer' if kind == 'http' else 'OpenID Connect'} "
                                                 "token")
        _credentials(suggestion, {"token": f"{prefix}_TOKEN"})
    elif (kind == "http" and http_scheme == "basic") or kind == "basic":
        suggestion.choose("auth_type", "basic", f"{source}: HTTP basic auth")
        _credentials(suggestion, {"username": f"{prefix}_USERNAME", "password": f"{prefix}_PASSWORD"})
    elif kind == "oauth2":
        return _oauth2(spec, scheme, scopes, suggestion, prefix, source, base)
    else:
        return False
    return True


def _oauth2(spec: Spec, scheme: Mapping[str, Any], scopes: list, suggestion: Suggestion, prefix: str,
            source: str, base: str) -> bool:
    if spec.is_swagger2:
        flow = str(scheme.get("flow") or "")
        flows = {"clientCredentials" if flow == "application" else flow: scheme}
    else:
        flows = scheme.get("flows") or {}
    client = flows.get("clientCredentials")
    if isinstance(client, Mapping) and client.get("tokenUrl"):
        suggestion.choose("auth_type", "oauth2_client_credentials", f"{source}: OAuth2 client-credentials flow")
        # A relative token URL is relative to the server (OpenAPI: URLs resolve against the Server Object).
        token_url = urljoin(base if base.endswith("/") else base + "/", str(client["tokenUrl"]))
        auth_config = {"token_url": token_url, "client_id": f"${{{prefix}_CLIENT_ID}}"}
        if scopes:
            auth_config["scope"] = " ".join(str(s) for s in scopes)
        suggestion.config["auth_config"] = auth_config
        _credentials(suggestion, {"client_secret": f"{prefix}_CLIENT_SECRET"})
        return True
    # Authorization code / implicit flows need a person at a browser: a token obtained once is a bearer token.
    flow_names = ", ".join(flows) or "no"
    suggestion.choose("auth_type", "bearer", f"{source}: OAuth2 with {flow_names} flow(s), which need a person to "
                                             "sign in: obtain an access token once and give it as a bearer token")
    _credentials(suggestion, {"token": f"{prefix}_TOKEN"})
    return True


def _credentials(suggestion: Suggestion, names: Mapping[str, str]) -> None:
    suggestion.config["credentials"] = {key: f"${{{env}}}" for key, env in names.items()}
    suggestion.notes["credentials"] = "the secrets themselves are never written: export the variables named here"


