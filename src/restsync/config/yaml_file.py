"""YAML config files: PyYAML's safe loader, bounded in depth and alias expansion, refusing
duplicate keys and keeping dates as text. Imported only when a YAML file is read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from restsync.config.schema import MAX_CONFIG_DEPTH
from restsync.errors import ConfigError

# YAML aliases repeat what their anchor holds: ten nested levels of ten aliases make a 1 KB
# file that expands to a billion values ("billion laughs"). Count values as expanded.
MAX_YAML_VALUES = 100_000


def load_yaml(text: str, path: Path) -> Any:
    loader = _ConfigYamlLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, path)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_expansion(root: yaml.Node, path: Path) -> None:
    """Refuse a document whose aliases expand past MAX_YAML_VALUES values or MAX_CONFIG_DEPTH
    levels, or refer to themselves, before anything is constructed.

    Sizes are memoised per node, so the check costs the size of the file, not of the expansion.
    """
    done: dict[int, tuple[int, int]] = {}  # node id -> (values, depth) once expanded
    active: set[int] = set()  # nodes on the current path: meeting one again is a cycle
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        children = _yaml_children(node)
        if finished:
            active.discard(key)
            values = 1 + sum(done[id(child)][0] for child in children)
            depth = 1 + max((done[id(child)][1] for child in children), default=0)
            if values > MAX_YAML_VALUES:
                raise ConfigError(f"{path}: YAML aliases expand to more than {MAX_YAML_VALUES:,} values; refusing "
                                  "to expand them (write the repeated values out, or use fewer aliases)")
            if depth > MAX_CONFIG_DEPTH:
                raise ConfigError(f"{path}: invalid YAML: nested deeper than {MAX_CONFIG_DEPTH} levels "
                                  "(aliases included)")
            done[key] = (values, depth)
            continue
        if key in done:
            continue
        if key in active:
            raise ConfigError(f"{path}: invalid YAML: an alias refers to a value that contains it")
        active.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in done)


def _yaml_children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


class _ConfigYamlLoader(yaml.SafeLoader):
    """SafeLoader that keeps dates as text and refuses duplicate keys.

    Dates stay strings because they end up in query strings and templates verbatim; a
    duplicate key would otherwise silently drop the first value.
    """

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        # Bounded here, before PyYAML's recursive composer can exhaust the stack.
        self._depth += 1
        try:
            if self._depth > MAX_CONFIG_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_CONFIG_DEPTH} levels",
                                                  self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                continue  # unhashable keys get SafeLoader's own error
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_ConfigYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
