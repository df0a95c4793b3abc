"""One API item -> one `Document`: id, title, text, metadata, updated time and link.

Everything the config names is compiled once in the constructor; `map` is the hot path and does
only lookups. Problems with individual items (no id, a value a type hint cannot convert, an
unreadable timestamp, a NaN or infinite number) never raise: they are counted in `stats` and
explained by `warnings()`. Secrets the config knows are masked in everything taken from an item.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from restsync.document import Document, has_non_finite, json_safe, plainly_finite
from restsync.extraction.fieldpath import FieldPath, apply_type_hint, canonical_hint, compile_field_path
from restsync.mapping.html import html_to_text
from restsync.mapping.ids import document_id, fallback_raw_id
from restsync.mapping.masking import SecretMasker, document_secrets
from restsync.mapping.template import CompiledTemplate, TemplateError, compile_template, value_text
from restsync.timestamps import format_utc, parse_timestamp

TITLE_MAX_CHARS = 100
STAT_NAMES = ("missing_id", "empty_content", "missing_timestamp", "bad_timestamp", "bad_type_hint", "non_finite")


class _Field:
    """A configured field path with its default and type hint resolved once."""

    __slots__ = ("path", "accessor", "get", "hint", "has_default", "default")

    def __init__(self, path: str, key: str, hints: Mapping[str, str], defaults: Mapping[str, Any]):
        self.path = path
        self.accessor: FieldPath = compile_field_path(path, key)
        self.get = self.accessor.get
        hint = hints.get(path)
        self.hint = canonical_hint(hint) if hint else None
        self.has_default = path in defaults
        self.default = defaults.get(path)

    def raw(self, item: Any) -> Any:
        value = self.get(item)
        if value is None and self.has_default:
            return self.default
        return value


class DocumentMapper:
    def __init__(self, config: Any, namespace: str | None = None, *, secrets: Iterable[str] | None = None):
        """`config` is a SourceConfig (or anything with its mapping attributes). `namespace` None
        gives RAGFlow's exact ids (`hash128("rest_api:" + raw_id)`); a string keeps sources apart.
        `secrets`: values masked wherever an item echoes them (default: `document_secrets(config)`)."""
        self.namespace = namespace
        self._secrets = set(document_secrets(config) if secrets is None else secrets)
        self._masker = SecretMasker(self._secrets)
        hints: Mapping[str, str] = getattr(config, "field_type_hints", None) or {}
        defaults: Mapping[str, Any] = getattr(config, "field_default_values", None) or {}

        def compiled(path: str | None, key: str) -> _Field | None:
            return _Field(path, key, hints, defaults) if path else None

        self._id = compiled(getattr(config, "id_field", None), "id_field")
        self._content = [_Field(p, "content_fields", hints, defaults) for p in getattr(config, "content_fields", None) or []]
        self._metadata = [_Field(p, "metadata_fields", hints, defaults) for p in getattr(config, "metadata_fields", None) or []]
        self._title = compiled(getattr(config, "title_field", None), "title_field")
        self._link = compiled(getattr(config, "link_field", None), "link_field")
        self._timestamp = compiled(getattr(config, "poll_timestamp_field", None), "poll_timestamp_field")

        known_paths = [f.path for f in (self._id, self._title, self._link, self._timestamp) if f]
        known_paths += [f.path for f in self._content + self._metadata]
        self._template_errors: list[str] = []
        self._content_template = self._compile(getattr(config, "content_template", None), known_paths, "content_template")
        self._link_template = self._compile(getattr(config, "link_template", None), known_paths, "link_template")

        self.stats: dict[str, int] = dict.fromkeys(STAT_NAMES, 0)
        self._examples: dict[str, str] = {}  # first offending path/value per stat, for warnings()
        self._lock = threading.Lock()

    def _compile(self, template: str | None, known_paths: list[str], key: str) -> CompiledTemplate | None:
        if not template:
            return None
        try:
            return compile_template(template, known_paths, key=key)
        except TemplateError as exc:
            # GO-12: a broken template falls back (content fields joined; no link) instead of failing.
            self._template_errors.append(f"{exc}; falling back to the configured fields")
            return None

    def _count(self, stat: str, example: str) -> None:
        if self._masker:
            example = self._masker.text(example)
        with self._lock:
            self.stats[stat] += 1
            self._examples.setdefault(stat, example)

    def _on_bad_value(self, path: str, value: Any, hint: str) -> None:
        self._count("bad_type_hint", f"{path}={value!r} is not a {hint}")

    # -- the hot path ------------------------------------------------------------------------

    def learn_secrets(self, values: Iterable[str]) -> None:
        """Secrets known only at run time (an OAuth2 access token fetched mid-walk): masked from
        now on, as the configured ones are."""
        fresh = [value for value in values if isinstance(value, str) and value and value not in self._secrets]
        if fresh:
            self._secrets.update(fresh)
            self._masker = SecretMasker(self._secrets)

    def map(self, item: Mapping[str, Any]) -> Document:
        raw_id = self._raw_id(item)
        content = self._content_text(item, raw_id)
        if content and self._masker:
            content = self._masker.text(content)
        if not content:
            self._count("empty_content", raw_id[:80])
        return Document(
            id=document_id(raw_id, self.namespace),
            semantic_identifier=self._title_text(item, raw_id),
            content=content,
            metadata=self._metadata_of(item),
            doc_updated_at=self._updated_at(item),
            link=self._link_of(item, raw_id),
        )

    def map_many(self, items: Iterable[Mapping[str, Any]]) -> list[Document]:
        return [self.map(item) for item in items]

    def _id_value(self, item: Any) -> Any:
        if self._id is None:
            return None
        value = self._id.raw(item)
        if value is None or value == "" or value == []:
            return None
        return value

    def _raw_id(self, item: Any) -> str:
        value = self._id_value(item)
        if value is None:
            self._count("missing_id", fallback_raw_id(item)[:80])
            return fallback_raw_id(item)
        if type(value) is str:
            return value
        if type(value) is int:
            return str(value)
        # Ids are typed as strings: 7.5 -> "7.5", as RAGFlow's str(); lists and objects as JSON.
        return apply_type_hint(value, "string") if not isinstance(value, list) else value_text(value, strip_html=False)

    def _content_text(self, item: Any, raw_id: str) -> str:
        if self._content_template is not None:
            return self._content_template.render(item, item_id=self._template_id(item, raw_id), strip_html=True)
        texts = []
        for field in self._content:
            value = field.get(item)
            if value is None and field.has_default:
                value = field.default
            if type(value) is str:
                text = html_to_text(value) if "<" in value else value
            else:
                text = value_text(value, strip_html=True)
            if text:
                texts.append(text)
        return "\n".join(texts)

    def _title_text(self, item: Any, raw_id: str) -> str:
        source = self._title or (self._content[0] if self._content else None)
        title = ""
        if source is not None:
            title = value_text(source.raw(item), strip_html=True)
            if "\n" in title or "\r" in title:
                title = " ".join(title.split())
            title = title.strip()
        title = title or raw_id
        if self._masker:  # before the cut, which could leave half a secret showing
            title = self._masker.text(title)
        return title[:TITLE_MAX_CHARS]

    def _metadata_of(self, item: Any) -> dict[str, Any]:
        metadata: dict[str, Any] = {}
        for field in self._metadata:
            value = field.get(item)
            if value is None:
                if not field.has_default:
                    continue
                value = field.default
            if field.accessor.has_wildcard and not isinstance(value, list):
                value = [value]  # a `[*]` field is a list whatever the match count, so filters see one shape
            if field.hint is not None:
                value = apply_type_hint(value, field.hint, field.path, self._on_bad_value)
                if field.hint == "date":
                    value = _dates_as_text(value)
            metadata[field.path] = value
        if self._masker:
            metadata = self._masker.fields(metadata)
        if not plainly_finite(metadata) and has_non_finite(metadata):
            first = next(key for key, value in metadata.items() if has_non_finite(value))
            self._count("non_finite", first)
            metadata = json_safe(metadata)
        return metadata

    def _updated_at(self, item: Any) -> datetime | None:
        if self._timestamp is None:
            return None
        value = self._timestamp.raw(item)
        if value is None or value == "":
            self._count("missing_timestamp", self._timestamp.path)
            return None
        moment = parse_timestamp(value)
        if moment is None:
            self._count("bad_timestamp", f"{self._timestamp.path}={value!r}")
        return moment

    def _link_of(self, item: Any, raw_id: str) -> str | None:
        link = None
        if self._link is not None:
            link = value_text(self._link.raw(item), strip_html=False).strip() or None
        if link is None and self._link_template is not None:
            link = self._link_template.render(item, item_id=self._template_id(item, raw_id)) or None
        if link and self._masker:
            link = self._masker.text(link)
        return link

    def _template_id(self, item: Any, raw_id: str) -> Any:
        """`{id}`: the id field's value; for an item without one, its own `id` key (never the JSON fallback)."""
        value = self._id_value(item)
        if value is None and isinstance(item, Mapping):
            value = item.get("id")
        return value

    # -- diagnostics -------------------------------------------------------------------------

    def warnings(self) -> list[str]:
        """Readable lines about what went wrong so far (empty when nothing did)."""
        lines = list(self._template_errors)
        stats, examples = dict(self.stats), dict(self._examples)
        id_path = self._id.path if self._id else None
        if stats["missing_id"]:
            where = f"no value at id_field '{id_path}'" if id_path else "no id_field configured"
            lines.append(
                f"{stats['missing_id']} item(s) had {where}; their ids are hashes of the item's JSON "
                "and change whenever the item changes"
            )
        if stats["empty_content"]:
            lines.append(f"{stats['empty_content']} item(s) produced empty content (check content_fields)")
        if stats["missing_timestamp"]:
            lines.append(
                f"{stats['missing_timestamp']} item(s) had no value at poll_timestamp_field "
                f"'{examples['missing_timestamp']}'"
            )
        if stats["bad_timestamp"]:
            lines.append(
                f"{stats['bad_timestamp']} item(s) had an unreadable timestamp (first: {examples['bad_timestamp']})"
            )
        if stats["non_finite"]:
            lines.append(
                f"{stats['non_finite']} document(s) had a NaN or infinite number in their metadata, which JSON "
                "cannot hold: infinities are kept as \"Infinity\" / \"-Infinity\", NaN as null "
                f"(first: {examples['non_finite']})"
            )
        if stats["bad_type_hint"]:
            lines.append(
                f"{stats['bad_type_hint']} value(s) did not match field_type_hints and were kept as-is "
                f"(first: {examples['bad_type_hint']})"
            )
        return lines


def _dates_as_text(value: Any) -> Any:
    """Metadata must stay JSON: dates become ISO 8601 UTC strings (which also sort as text)."""
    if isinstance(value, list):
        return [_dates_as_text(element) for element in value]
    return format_utc(value) if isinstance(value, datetime) else value
