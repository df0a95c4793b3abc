"""Integrations with the RAG tools people already use: Dify, MCP, LangChain, LlamaIndex.

Every integration searches through a `SearchBackend` (`backend.py`). The framework modules
(`langchain`, `llamaindex`, `mcp_server`) import their framework and need its extra; this
package itself imports none of them.
"""

from restsync.integrations.backend import (
    BackendError,
    LocalBackend,
    RemoteBackend,
    SearchBackend,
    UnknownKnowledgeBaseError,
)

__all__ = ["BackendError", "LocalBackend", "RemoteBackend", "SearchBackend", "UnknownKnowledgeBaseError"]
