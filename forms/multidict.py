"""A minimal multi-value mapping, so the package stays importable without Werkzeug/Flask."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping


class MultiDict:
    """Keys mapped to lists of strings, with the ``getlist`` interface WTForms expects.

    Built from a mapping (a list or tuple value gives several values) or from
    ``(key, value)`` pairs.
    """

    def __init__(self, source: Mapping[str, object] | Iterable[tuple[str, object]] | None = None) -> None:
        self._lists: dict[str, list[str]] = {}
        if source is None:
            return
        if isinstance(source, Mapping):
            for key, value in source.items():
                values = value if isinstance(value, list | tuple) else [value]
                for item in values:
                    self.add(key, item)
        else:
            for key, value in source:
                self.add(key, value)

    def add(self, key: str, value: object) -> None:
        self._lists.setdefault(key, []).append(str(value))

    def setlist(self, key: str, values: Iterable[object]) -> None:
        self._lists[key] = [str(value) for value in values]

    def getlist(self, key: str) -> list[str]:
        return list(self._lists.get(key, ()))

    def get(self, key: str, default: str | None = None) -> str | None:
        values = self._lists.get(key)
        return values[0] if values else default

    def __getitem__(self, key: str) -> str:
        values = self._lists.get(key)
        if not values:
            raise KeyError(key)
        return values[0]

    def __contains__(self, key: object) -> bool:
        return key in self._lists

    def __iter__(self) -> Iterator[str]:
        return iter(self._lists)

    def __len__(self) -> int:
        return len(self._lists)

    def keys(self) -> list[str]:
        return list(self._lists)

    def lists(self) -> list[tuple[str, list[str]]]:
        return [(key, list(values)) for key, values in self._lists.items()]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MultiDict):
            return NotImplemented
        return self._lists == other._lists

    # Mutable, so unhashable like dict.
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"MultiDict({self.lists()!r})"
