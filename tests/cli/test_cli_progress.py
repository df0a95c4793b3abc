"""The progress line: percentage and ETA from the API's total, and waits shown while they last."""

from __future__ import annotations

import io

from restsync.cli.main import main
from restsync.cli.progress import Progress
from restsync.clock import FakeClock
from restsync.connector.report import WalkReport
from restsync.demo.server import load_articles
from servers.bearer_only import demo_config


def last_drawn(stream: io.StringIO) -> str:
    return stream.getvalue().split("\r")[-1].rstrip()


def test_a_known_total_gives_a_percentage_and_an_eta_from_the_rate_so_far():
    clock, tty = FakeClock(), io.StringIO()
    progress = Progress(tty, clock=clock, interactive=True)
    report = WalkReport(pages=1, items=100, documents=100, expected_items=1000)
    clock.advance(2.0)
    progress.follow(report)
    line = last_drawn(tty)
    assert "1 pages, 100 documents (100 of 1,000 items, 10%)" in line
    assert line.endswith("2.0s, ETA 18.0s")  # 900 items left at 50 items/s
    report.pages, report.items, report.documents = 5, 500, 480  # 20 outside a --since window
    clock.advance(8.0)
    progress.follow(report)
    assert "480 documents (500 of 1,000 items, 50%)" in last_drawn(tty) and "ETA 10.0s" in last_drawn(tty)


def test_no_total_means_no_percentage_and_a_stale_total_never_passes_100_percent():
    clock, tty = FakeClock(), io.StringIO()
    progress = Progress(tty, clock=clock, interactive=True)
    clock.advance(2.0)
    progress.follow(WalkReport(pages=2, items=50, documents=50))
    assert "%" not in last_drawn(tty) and "ETA" not in last_drawn(tty)
    clock.advance(1.0)
    progress.follow(WalkReport(pages=3, items=75, documents=75, expected_items=60))  # items added mid-walk
    assert "(75 of 60 items, 100%)" in last_drawn(tty) and "ETA" not in last_drawn(tty)


def test_an_eta_waits_for_a_meaningful_rate():
    clock, tty = FakeClock(), io.StringIO()
    progress = Progress(tty, clock=clock, interactive=True)
    clock.advance(0.2)
    progress.follow(WalkReport(pages=1, items=25, documents=25, expected_items=10_000))
    assert "(25 of 10,000 items, 0%)" in last_drawn(tty) and "ETA" not in last_drawn(tty)
    assert progress.eta_s() is None


def test_a_wait_is_drawn_at_once_on_a_terminal_and_cleared_when_it_ends():
    clock, tty = FakeClock(), io.StringIO()
    progress = Progress(tty, clock=clock, interactive=True)
    report = WalkReport(pages=3, items=75, documents=75)
    progress.follow(report)
    report.waiting = "rate limited (Retry-After), waiting 30 s"
    progress.follow(report)  # same instant: a page update would be throttled, a wait is not
    assert last_drawn(tty).endswith("| rate limited (Retry-After), waiting 30 s")
    clock.advance(30.0)
    report.waiting = None
    progress.follow(report)
    assert "waiting" not in last_drawn(tty)
    report.waiting = "HTTP 503, retrying in 4 s"
    progress.follow(report)
    progress.finish()
    final = tty.getvalue().split("\r")[-1]
    assert final.endswith("\n") and "retrying" not in final  # the summary never shows a stale wait


def test_waits_are_logged_once_each_when_not_a_terminal_and_never_when_quiet():
    clock, log = FakeClock(), io.StringIO()
    progress = Progress(log, clock=clock, interactive=False)
    report = WalkReport(pages=1, items=25, documents=25, waiting="rate limited (HTTP 429), waiting 12 s")
    progress.follow(report)
    progress.follow(report)  # the same wait reported twice is one line
    report.waiting = None
    progress.follow(report)
    assert log.getvalue() == "fetch: rate limited (HTTP 429), waiting 12 s\n"
    progress.finish()
    assert log.getvalue().count("\n") == 2 and "\r" not in log.getvalue()
    quiet_log = io.StringIO()
    quiet = Progress(quiet_log, clock=clock, interactive=True, quiet=True)
    quiet.follow(WalkReport(pages=1, waiting="rate limited (HTTP 429), waiting 12 s"))
    assert quiet_log.getvalue() == ""


def test_page_counts_alone_still_work_as_the_sync_command_sends_them():
    clock, tty = FakeClock(), io.StringIO()
    progress = Progress(tty, clock=clock, interactive=True)
    clock.advance(1.0)
    progress.update(pages=2, documents=40)
    assert last_drawn(tty) == "fetch: 2 pages, 40 documents, 40 docs/s, 1.0s"


def test_fetch_shows_the_apis_total_in_its_final_line(tmp_path, capsys, demo_env):
    out = tmp_path / "docs.jsonl"
    assert main(["fetch", str(demo_config(tmp_path)), "-o", str(out), "--allow-private"]) == 0
    total = len(load_articles())
    err = capsys.readouterr().err
    assert f"{total} documents ({total} of {total} items, 100%)" in err
