"""Reading values out of API responses: JSONPath for `*_path` keys, field paths for item fields,
and the selection of the items array."""

from restsync.extraction.fieldpath import FieldPath, compile_field_path, get_field, get_typed
from restsync.extraction.items import ItemSelection, detect_items, select_items
from restsync.extraction.jsonpath import compile_path, find_all, find_first

__all__ = [
    "FieldPath", "ItemSelection", "compile_field_path", "compile_path", "detect_items",
    "find_all", "find_first", "get_field", "get_typed", "select_items",
]  # fmt: skip
