"""Turning API items into documents: HTML to text, timestamps, templates, ids and the mapper."""

from restsync.mapping.html import html_to_text
from restsync.mapping.ids import document_id, fallback_raw_id
from restsync.mapping.mapper import DocumentMapper
from restsync.mapping.template import CompiledTemplate, TemplateError, compile_template
from restsync.timestamps import format_time, parse_timestamp

__all__ = [
    "CompiledTemplate", "DocumentMapper", "TemplateError", "compile_template", "document_id",
    "fallback_raw_id", "format_time", "html_to_text", "parse_timestamp",
]  # fmt: skip
