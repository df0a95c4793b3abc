"""The deterministic items every fake API serves, each in its own vocabulary and time format."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from functools import lru_cache

BASE_TIME = datetime(2024, 1, 1, tzinfo=timezone.utc)
STEP = timedelta(minutes=37, seconds=11)
AUTHORS = ("alice", "bob", "carol", "dave", "erin")
TOPICS = ("widget", "gadget", "sprocket", "flange", "gizmo", "doohickey", "lever")


@dataclass(frozen=True)
class SampleItem:
    number: int  # 1-based, unique
    title: str
    body: str  # HTML for every third item
    plain_body: str  # body as text, what a document's content must hold
    author: str
    updated_at: datetime  # UTC, strictly increasing with number

    # -- the API's own time formats ----------------------------------------------------------
    @property
    def iso_z(self) -> str:  # GitHub, Zendesk, GraphQL
        return self.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def iso_millis_z(self) -> str:  # Notion, HubSpot, Airtable, Confluence
        return self.updated_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    @property
    def jira_time(self) -> str:  # Jira: millis and a colon-less offset
        return self.updated_at.strftime("%Y-%m-%dT%H:%M:%S.000+0000")

    @property
    def odata_time(self) -> str:  # Microsoft Graph: seven fraction digits
        return self.updated_at.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")

    @property
    def naive_iso(self) -> str:  # WordPress `modified_gmt`: zone-less, UTC by definition
        return self.updated_at.strftime("%Y-%m-%dT%H:%M:%S")

    @property
    def epoch(self) -> int:  # Stripe
        return int(self.updated_at.timestamp())

    @property
    def epoch_ms(self) -> int:  # Elasticsearch epoch_millis
        return self.epoch * 1000

    @property
    def slack_ts(self) -> str:  # Slack message ts: epoch seconds with a 6-digit sequence
        return f"{self.epoch}.{self.number % 1_000_000:06d}"

    @property
    def rfc2822(self) -> str:
        return format_datetime(self.updated_at)

    def iso_offset(self, hours: int) -> str:  # the same instant in another zone
        zone = timezone(timedelta(hours=hours))
        return self.updated_at.astimezone(zone).isoformat()


def _make(number: int) -> SampleItem:
    topic = TOPICS[number % len(TOPICS)]
    plain = f"Body of item {number}: the {topic} needs care."
    body = f"<p>Body of item {number}: the <b>{topic}</b> needs care.</p>" if number % 3 == 0 else plain
    return SampleItem(
        number=number,
        title=f"Item {number} about the {topic}",
        body=body,
        plain_body=plain,
        author=AUTHORS[number % len(AUTHORS)],
        updated_at=BASE_TIME + STEP * number,
    )


@lru_cache(maxsize=32)
def sample_items(count: int) -> tuple[SampleItem, ...]:
    return tuple(_make(n) for n in range(1, count + 1))
