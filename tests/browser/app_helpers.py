"""What a person does in the App, as Playwright steps."""

from __future__ import annotations

import re

PLUGIN = "@fo-sam3/sam3"
RUN_S = 120  # an immediate run of the tiny model on a few samples (model build included)


def open_dataset(page, server, name: str, view: str | None = None) -> None:
    """Open the dataset page (optionally a saved view) and wait for the grid."""
    url = f"{server.url}/datasets/{name}" + (f"?view={view}" if view else "")
    page.goto(url)
    page.locator('[data-cy="fo-grid"]').wait_for()
    dismiss = page.get_by_text("Dismiss", exact=True)  # the "Explore Enterprise" popover
    try:
        dismiss.click(timeout=5_000)
    except Exception:  # not shown
        pass


def browse_operations(page, query: str, key: bool = False):
    """The "Browse operations" button (or the backtick key), then type ``query``;
    returns the list's entries."""
    if key:
        page.keyboard.press("`")
    else:
        page.locator('[data-cy="action-browse-operations"]').click()
    page.keyboard.type(query)
    return page.get_by_text(re.compile(r"^SAM3: "))


def open_operator(page, label: str) -> None:
    """Open an operator's form from the operator browser (opened with the backtick key)."""
    browse_operations(page, label, key=True)
    page.get_by_text(label, exact=True).first.click()
    form_title(page, label).wait_for()


def form_title(page, label: str):
    return page.get_by_text(label, exact=True).first


def field_box(page, label: str):
    """The form row of the input labeled ``label`` (innermost grid item holding the label)."""
    return page.locator("div.MuiGrid-item").filter(has=page.get_by_text(label, exact=True)).last


def field_input(page, label: str):
    return field_box(page, label).locator("input").first


def fill(page, label: str, value: str) -> None:
    box = field_input(page, label)
    box.fill(value)
    box.blur()  # the form re-resolves on change


def dropdown_options(page, label: str) -> list[str]:
    """Open the dropdown labeled ``label``; its option texts (first lines)."""
    field_box(page, label).get_by_role("combobox").first.click()
    page.get_by_role("listbox").wait_for()
    return [t.split("\n")[0].strip() for t in page.get_by_role("option").all_inner_texts()]


def close_dropdown(page) -> None:
    page.keyboard.press("Escape")
    page.get_by_role("listbox").wait_for(state="detached")


def execute_button(page):
    return page.locator('[aria-label="split button"]').get_by_role("button", name="Execute", exact=True)


def schedule(page) -> None:
    """Choose Schedule in the Execute button's menu, then click it."""
    page.locator('[aria-label="split button"] button[aria-haspopup="menu"]').click()
    page.get_by_role("menuitem").filter(has_text="Run this operation in the background").click()
    page.locator('[aria-label="split button"]').get_by_role("button", name="Schedule", exact=True).click()


def wait_for_done(page, timeout_s: float = RUN_S) -> str:
    """Wait for the run's summary ("Done in ..."); returns its text."""
    done = page.get_by_text(re.compile(r"^Done in [0-9.]+ s: "))
    done.wait_for(timeout=timeout_s * 1000)
    return done.inner_text()


def sidebar_field(page, name: str):
    return page.locator(f'[data-cy="sidebar-field-{name}"]')
