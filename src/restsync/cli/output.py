"""Human-readable rendering of check and preview reports (the JSON form is `report.to_dict()`)."""

from __future__ import annotations

import json
from typing import Any, TextIO

from restsync.diagnostics import CheckReport, PreviewReport

PREVIEW_TEXT_CHARS = 400  # enough to judge a document, short enough to scan five of them


def write_json(stream: TextIO, data: Any) -> None:
    stream.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def render_check(report: CheckReport) -> str:
    lines: list[str] = []
    lines.append(f"config        {'invalid' if report.failed_step == 'config' else 'ok'}"
                 + (f" ({len(report.config_warnings)} warnings)" if report.config_warnings else ""))
    lines += [f"  warning: {warning}" for warning in report.config_warnings]
    lines.append(f"auth          {report.auth}")
    if report.request:
        status = f"HTTP {report.status}" if report.status else "no response"
        timing = f" in {report.elapsed_s * 1000:.0f} ms" if report.elapsed_s is not None else ""
        lines.append(f"request       {report.request} -> {status}{timing}")
    if report.pagination is not None:
        where = f" at {report.items_path}" if report.items_path else ""
        dropped = f" ({report.dropped_items} non-object entries skipped)" if report.dropped_items else ""
        lines.append(f"items         {report.items_found} on page 1{where}{dropped}")
        more = "" if report.has_next is None else (", more pages" if report.has_next else ", no further page")
        lines.append(f"pagination    {report.pagination}{more}")
    lines += report.notes  # parent/child and slicing lines, already aligned
    if report.fields:
        lines.append("fields        (present in k/n items on page 1)")
        width = max(len(presence.path) for presence in report.fields)
        for presence in report.fields:
            mark = "ok" if presence.present == presence.total else ("MISSING" if not presence.present else "partial")
            lines.append(f"  {presence.role:<9} {presence.path:<{width}}  {presence.present}/{presence.total}  {mark}")
    lines += [f"warning: {warning}" for warning in report.warnings]
    if report.failed_step:
        lines.append(f"failed at     {report.failed_step}")
    lines += [f"problem: {problem}" for problem in report.problems]
    lines += [f"  hint: {hint}" for hint in report.hints]
    lines.append("result        " + ("ok" if report.ok else "FAILED"))
    return "\n".join(lines) + "\n"


def render_preview(report: PreviewReport) -> str:
    parts = [render_check(report.check)]
    for number, doc in enumerate(report.documents, start=1):
        text = " ".join(doc.content.split())
        if len(text) > PREVIEW_TEXT_CHARS:
            text = text[:PREVIEW_TEXT_CHARS] + " ..."
        block = [f"--- document {number}: {doc.semantic_identifier or '(no title)'}",
                 f"id        {doc.id}",
                 f"updated   {doc.to_dict()['doc_updated_at'] or '-'}",
                 f"link      {doc.link or '-'}"]
        if doc.metadata:
            block.append("metadata  " + json.dumps(doc.metadata, ensure_ascii=False, default=str))
        block.append(f"content   ({len(doc.content)} chars) {text}")
        parts.append("\n".join(block) + "\n")
    return "\n".join(parts)
