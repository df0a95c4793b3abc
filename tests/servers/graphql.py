"""A GitHub-style GraphQL endpoint: POST `{query, variables: {first, after}}`, Relay paging with
`pageInfo {hasNextPage endCursor}` and `nodes`; `first` must be 1..100."""

from __future__ import annotations

from .base import ApiServer, RecordedRequest, Reply
from .dataset import SampleItem, sample_items
from .paging import BadRequest, decode_cursor, encode_cursor

GRAPHQL_PATH = "/graphql"
ISSUES_QUERY = (
    "query($first: Int!, $after: String) { search(query: \"repo:acme/widgets\", type: ISSUE, "
    "first: $first, after: $after) { issueCount pageInfo { hasNextPage endCursor } "
    "nodes { ... on Issue { id number title body author { login } updatedAt url } } } }"
)


class GraphQLServer(ApiServer):
    def __init__(self, count: int = 237, *, token: str = "ghp_graphql"):
        super().__init__()
        self.items = sample_items(count)
        self.token = token

    def handle(self, request: RecordedRequest) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(401, json={"message": "Bad credentials"})
        body = request.json if isinstance(request.json, dict) else {}
        variables = body.get("variables") or {}
        if "query" not in body:
            return self._errors("A query attribute must be specified")
        first = variables.get("first")
        if not isinstance(first, int) or not 1 <= first <= 100:
            return self._errors("Requesting 0 or more than 100 records on the `search` connection is not supported.")
        after = variables.get("after")
        try:
            start = decode_cursor("gql", after) if after else 0
        except BadRequest as exc:
            return self._errors(f"`{after}` does not appear to be a valid cursor. ({exc})")
        chunk = self.items[start : start + first]
        end = start + len(chunk)
        return Reply(json={"data": {"search": {
            "issueCount": len(self.items),
            "pageInfo": {"hasNextPage": end < len(self.items),
                         "endCursor": encode_cursor("gql", end) if chunk else None},
            "nodes": [self._node(item) for item in chunk],
        }}})

    def _errors(self, message: str) -> Reply:
        # GraphQL reports query errors with HTTP 200 and an `errors` array.
        return Reply(json={"errors": [{"message": message}]})

    def _node(self, item: SampleItem) -> dict:
        return {"id": f"I_kwDO{item.number:08d}", "number": item.number, "title": item.title, "body": item.body,
                "author": {"login": item.author}, "updatedAt": item.iso_z,
                "url": f"https://github.com/acme/widgets/issues/{item.number}"}
