"""The window of recently listed items that drops what a shifting collection lists twice."""

from __future__ import annotations

from restsync.connector.recent import RecentItems, item_identity


def items(*numbers: int) -> list[dict]:
    return [{"id": n, "title": f"Item {n}"} for n in numbers]


def test_items_of_the_pages_just_before_are_dropped_and_counted():
    recent = RecentItems(item_identity("id"))
    assert recent.fresh(items(1, 2, 3)) == (items(1, 2, 3), 0)
    assert recent.fresh(items(3, 4, 5)) == (items(4, 5), 1)  # the tail of page one, pushed on
    assert recent.fresh(items(2, 6)) == (items(6), 1)  # two pages back is still recent


def test_repeats_within_one_page_are_kept():
    recent = RecentItems(item_identity("id"))
    assert recent.fresh(items(1, 1, 2)) == (items(1, 1, 2), 0)


def test_the_window_forgets_old_pages_so_memory_stays_flat():
    recent = RecentItems(item_identity("id"), window=4)
    recent.fresh(items(1, 2))
    recent.fresh(items(3, 4))
    recent.fresh(items(5, 6))  # six held: the page of 1 and 2 is forgotten
    assert recent.fresh(items(1, 5)) == (items(1), 1)


def test_identity_without_an_id_field_is_the_whole_item_and_nested_ids_work():
    assert item_identity(None)({"b": 1, "a": 2}) == item_identity(None)({"a": 2, "b": 1})
    assert item_identity("id")({"title": "no id"}) == item_identity(None)({"title": "no id"})
    nested = item_identity("sys.id")
    assert nested({"sys": {"id": "x"}}) == "x" and nested({"sys": {"id": "y"}}) != "x"
    assert item_identity("id")({"id": 7}) == 7
