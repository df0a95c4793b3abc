"""A server whose replies a test writes inline, for small behavioural cases (RAGFlow's own tests)."""

from __future__ import annotations

from typing import Callable

from .base import ApiServer, RecordedRequest, Reply


class ScriptedServer(ApiServer):
    def __init__(self, respond: Callable[[RecordedRequest], Reply | dict | list]):
        super().__init__()
        self.respond = respond

    def handle(self, request: RecordedRequest) -> Reply:
        answer = self.respond(request)
        return answer if isinstance(answer, Reply) else Reply(json=answer)
