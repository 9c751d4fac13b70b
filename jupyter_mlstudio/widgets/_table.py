"""A searchable, paged table whose first column opens a row (steps, runs, assets)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as w

from jupyter_mlstudio.widgets._html import fmt

__all__ = ["Table"]


class Table(w.VBox):
    """Rows of text with a search box and pages; clicking a row's first cell calls ``on_open``.

    Cells are pooled: a page change or a live update sets the text of the same widgets, so a
    table refreshed every second sends a few small messages, not new widgets.

    Parameters
    ----------
    columns : sequence of str
        Column headings.
    on_open : callable, optional
        Called with the row's key when its first cell is clicked.
    page_size : int
        Rows per page.
    searchable : bool
        Show a search box (rows match when any cell contains the text, case-insensitive).
    """

    def __init__(
        self,
        columns: Sequence[str],
        on_open: Callable[[Any], None] | None = None,
        *,
        page_size: int = 15,
        searchable: bool = True,
        widths: Sequence[str] | None = None,
    ) -> None:
        self.columns = list(columns)
        self.on_open = on_open
        self.page_size = page_size
        self.page = 0
        self._rows: list[tuple[Any, list[Any]]] = []
        self._shown: list[tuple[Any, list[Any]]] = []
        template = " ".join(widths or ["minmax(80px, auto)"] * len(self.columns))
        self.search = w.Text(placeholder="Search", layout=w.Layout(width="240px"))
        self.search.observe(self._searched, "value")
        self.pager = w.HTML()
        self.prev_button = w.Button(description="\u2039", layout=w.Layout(width="32px"))
        self.next_button = w.Button(description="\u203a", layout=w.Layout(width="32px"))
        self.prev_button.on_click(lambda _: self._turn(-1))
        self.next_button.on_click(lambda _: self._turn(1))
        header = [w.HTML(f"<b>{c}</b>") for c in self.columns]
        self._cells: list[list[w.Widget]] = []
        for _ in range(page_size):
            first: w.Widget
            if on_open is not None:
                first = w.Button(layout=w.Layout(width="auto", justify_content="flex-start"))
                first.add_class("mls-table-open")
                first.on_click(self._clicked)
            else:
                first = w.Label()
            self._cells.append([first, *[w.Label() for _ in self.columns[1:]]])
        self.grid = w.GridBox(
            [*header, *[c for row in self._cells for c in row]],
            layout=w.Layout(grid_template_columns=template, grid_gap="1px 12px"),
        )
        bar = [self.search] if searchable else []
        super().__init__(
            [w.HBox([*bar, self.prev_button, self.pager, self.next_button]), self.grid]
        )
        self.add_class("mls-table")
        self._render()

    # ---- data ------------------------------------------------------------------------------
    def set_rows(self, rows: Sequence[tuple[Any, Sequence[Any]]]) -> None:
        """Replace the rows: ``(key, [cell, ...])`` each; the key is what ``on_open`` gets."""
        self._rows = [(key, list(cells)) for key, cells in rows]
        self._render()

    @property
    def shown_keys(self) -> list[Any]:
        """Keys of the rows that match the search, in order (every page)."""
        return [key for key, _ in self._shown]

    def open_row(self, key: Any) -> None:
        if self.on_open is not None:
            self.on_open(key)

    # ---- events ----------------------------------------------------------------------------
    def _searched(self, _: Any) -> None:
        self.page = 0
        self._render()

    def _turn(self, delta: int) -> None:
        self.page += delta
        self._render()

    def _clicked(self, button: w.Button) -> None:
        for i, row in enumerate(self._cells):
            if row[0] is button:
                index = self.page * self.page_size + i
                if index < len(self._shown):
                    self.open_row(self._shown[index][0])
                return

    def _render(self) -> None:
        needle = self.search.value.strip().lower()
        self._shown = [
            (key, cells)
            for key, cells in self._rows
            if not needle or any(needle in fmt(c).lower() for c in cells)
        ]
        pages = max(1, -(-len(self._shown) // self.page_size))
        self.page = min(max(0, self.page), pages - 1)
        start = self.page * self.page_size
        page = self._shown[start : start + self.page_size]
        for i, row in enumerate(self._cells):
            if i < len(page):
                for cell, value in zip(row, page[i][1], strict=False):
                    text = fmt(value)
                    if isinstance(cell, w.Button):
                        cell.description = text
                        cell.tooltip = f"Open {text}"
                    else:
                        cell.value = text
                visible = None
            else:
                visible = "none"
            for cell in row:
                cell.layout.display = visible
        self.pager.value = (
            f"<span style='padding:0 6px'>{start + 1 if page else 0}-{start + len(page)}"
            f" of {len(self._shown)}</span>"
        )
        self.prev_button.disabled = self.page == 0
        self.next_button.disabled = self.page >= pages - 1
