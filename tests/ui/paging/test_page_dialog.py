"""Paging from the window: who will be paged, confirmed, sent off the UI thread; the Pages tab with its
countdown and Acknowledge buttons; escalation on the window's tick; resolving asks about open pages."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from commander.app import incident as app_incident
from commander.app import oncall, paging
from commander.app.console import Console
from commander.integrations.secrets import SecretStore
from commander.ui.kit import richtext
from commander.ui.paging.page_dialog import PageDialog, open_page_dialog
from commander.ui.shell.main_window import MainWindow
from tests.helpers.fakes import FakeService, Request, serve
from tests.helpers.pagerduty_fake import ROUTING_KEY, PagerDutyFake
from tests.helpers.paging_samples import PAYMENTS_ONCALL


class SlowPagerDuty(PagerDutyFake):
    """Answers after `delay` seconds: long enough to see whether the window waits for it."""

    delay: float = 0.0

    def __call__(self, request: Request):  # type: ignore[no-untyped-def]
        reply = super().__call__(request)
        reply.delay = self.delay
        return reply


@pytest.fixture
def pagerduty(console: Console, incident: str) -> Iterator[tuple[SlowPagerDuty, FakeService]]:
    oncall.import_yaml(console, PAYMENTS_ONCALL)
    fake = SlowPagerDuty()
    with serve(fake) as server:
        paging.add_pager(
            console, "pagerduty", "PagerDuty", {"api_url": f"{server.base}/v2/enqueue"}, ROUTING_KEY, SecretStore()
        )
        yield fake, server


def open_dialog(window: MainWindow, incident: str, person: str = "") -> PageDialog:
    window.select_incident(incident)
    dialog = open_page_dialog(window, person=person)
    assert dialog is not None
    return dialog


def test_the_dialog_says_who_is_paged_and_asks_before_sending(
    window: MainWindow, incident: str, pagerduty: tuple[SlowPagerDuty, FakeService]
) -> None:
    fake, _ = pagerduty
    dialog = open_dialog(window, incident)
    assert dialog.by_service.isChecked() and dialog.service.currentText() == "payments"
    assert dialog.who.text() == (
        "Paging payments through PagerDuty reaches Sam (on call on Payments primary), level 1 "
        "of Payments. If nobody acknowledges within 15 min, the next level is paged: Morgan."
    )
    box = dialog.confirmation()
    assert box.defaultButton() == box.button(QMessageBox.StandardButton.No)  # Enter does not page by accident
    assert ROUTING_KEY not in box.detailedText() and '"summary": "[SEV2] INC-' in box.detailedText()
    box.deleteLater()
    assert fake.bodies == []  # nothing left the machine
    dialog.service.setCurrentText("nowhere")
    assert "No escalation policy pages for the service 'nowhere'" in dialog.error.text()
    assert not dialog.page_button.isEnabled()
    dialog.by_person.setChecked(True)
    dialog.person.setText("Dana")
    assert dialog.who.text().startswith("Pages Dana through PagerDuty: the alert goes to the PagerDuty")
    dialog.reject()


def test_paging_runs_off_the_ui_thread_and_the_pages_tab_follows(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str, pagerduty: tuple[SlowPagerDuty, FakeService]
) -> None:
    fake, _ = pagerduty
    fake.delay = 1.5
    dialog = open_dialog(window, incident)
    tabs = window.right_tabs
    assert not tabs.isTabVisible(tabs.indexOf(window.pages))  # no pages yet: no empty tab
    gaps: list[int] = []
    clock = QElapsedTimer()
    clock.start()

    def beat() -> None:
        gaps.append(clock.restart())

    timer = QTimer()
    timer.timeout.connect(beat)
    timer.start(20)
    assert dialog.send()
    assert [p.state for p in paging.pages(console, incident)] == ["sent"]  # written at once, on the UI thread
    qtbot.waitUntil(lambda: paging.pages(console, incident)[0].state == "delivered", timeout=10000)
    timer.stop()
    assert max(gaps) < 500, f"the UI thread stalled {max(gaps)} ms"
    assert tabs.isTabVisible(tabs.indexOf(window.pages))
    qtbot.waitUntil(lambda: dialog.panel.tree.topLevelItemCount() == 1, timeout=3000)
    row = dialog.panel.tree.topLevelItem(0)
    assert row is not None and row.text(0) == "Sam"
    assert row.toolTip(0) == richtext.tooltip(
        "Sam, paged through PagerDuty for payments (level 1, on call on Payments primary)"
    )
    dialog.panel.refresh()
    assert row.text(2).startswith(("delivered · level 2 in 14:5", "delivered · level 2 in 15:"))
    assert dialog.panel.countdown.text().startswith("payments: level 2 is paged in ")
    _render(dialog, "page_dialog.png")
    dialog.reject()


def test_nobody_answers_so_the_windows_tick_escalates_and_acknowledging_stops_it(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str, pagerduty: tuple[SlowPagerDuty, FakeService]
) -> None:
    fake, _ = pagerduty
    window.select_incident(incident)
    paging.run(console, paging.page_service(console, incident, "payments", None, SecretStore()))
    moment = console.now() + timedelta(minutes=16)
    console.wall = lambda: moment
    window._tick()
    assert [p.target for p in paging.pages(console, incident)] == ["Sam", "Morgan"]  # written by the tick
    qtbot.waitUntil(lambda: len(fake.alerts) == 2, timeout=10000)
    assert "the next level was paged: Morgan" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: window.pages.tree.topLevelItemCount() == 2, timeout=3000)
    morgan = window.pages.tree.topLevelItem(1)
    assert morgan is not None
    button = window.pages.tree.itemWidget(morgan, window.pages.ACTION)
    assert isinstance(button, QPushButton) and button.text() == "Acknowledge"
    button.click()
    assert next(p for p in paging.pages(console, incident) if p.target == "Morgan").state == "acknowledged by Morgan"
    qtbot.waitUntil(lambda: fake.alerts[1].status == "acknowledged", timeout=10000)
    later = moment + timedelta(hours=2)
    console.wall = lambda: later
    window._tick()
    assert len(paging.pages(console, incident)) == 2  # stopped
    assert not window.pages.countdown.isVisible()
    _render(window, "pages_tab.png")


def test_resolving_asks_to_resolve_the_open_pages_first(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str, pagerduty: tuple[SlowPagerDuty, FakeService]
) -> None:
    fake, _ = pagerduty
    window.select_incident(incident)
    paging.run(console, paging.page_service(console, incident, "payments", None, SecretStore()))
    status = window.change_status("resolved")
    assert status is not None
    status.submit()
    [box] = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert box.windowTitle() == "Resolve the pages too?" and "Sam (PagerDuty)" in box.text()
    yes = box.button(QMessageBox.StandardButton.Yes)
    assert yes is not None
    yes.click()
    assert {p.state for p in paging.pages(console, incident)} == {"resolved"}
    qtbot.waitUntil(lambda: fake.alerts[0].status == "resolved", timeout=10000)
    assert "Postmortem" in window.statusBar().currentMessage()  # the rest of resolving went on after the answer


def test_the_role_board_pages_a_role_holder(
    window: MainWindow, incident: str, pagerduty: tuple[SlowPagerDuty, FakeService]
) -> None:
    window.select_incident(incident)
    window.roles.select("technical_lead")
    menu = window.roles.context_menu()
    assert menu is not None
    [page] = [a for a in menu.actions() if a.text().startswith("Page")]
    assert page.text() == "Page Sam…"
    page.trigger()
    [dialog] = [d for d in window.findChildren(PageDialog) if d.isVisible()]
    assert dialog.by_person.isChecked() and dialog.person.text() == "Sam"
    dialog.reject()
    menu.close()


def _render(widget: object, name: str) -> None:
    """Offscreen PNG for a person to look at, when COMMANDER_RENDER_DIR says where."""
    folder = os.environ.get("COMMANDER_RENDER_DIR")
    if folder:
        widget.grab().save(str(Path(folder) / name))  # type: ignore[attr-defined]
    else:
        widget.grab()  # type: ignore[attr-defined]  # paints: a Qt warning fails the test


def test_ctrl_shift_g_opens_the_dialog_on_the_incident_on_screen(
    window: MainWindow, incident: str, pagerduty: tuple[SlowPagerDuty, FakeService]
) -> None:
    from PySide6.QtGui import QKeySequence

    window.select_incident(incident)
    [action] = [a for a in window.menu_actions.need_incident if a.shortcut() == QKeySequence("Ctrl+Shift+G")]
    action.trigger()
    [dialog] = [d for d in window.findChildren(PageDialog) if d.isVisible()]
    assert dialog.by_service.isChecked() and dialog.person.text() == ""  # the checked flag is no person
    dialog.reject()


def test_an_incident_not_on_screen_still_escalates(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str, pagerduty: tuple[SlowPagerDuty, FakeService]
) -> None:
    from commander.domain.incident.decisions import Declaration

    fake, _ = pagerduty
    paging.run(console, paging.page_service(console, incident, "payments", None, SecretStore()))
    other = app_incident.declare(console, Declaration(title="Search slow in eu-west", severity="SEV3")).id
    window.select_incident(other)  # the IC is looking at another incident
    moment = console.now() + timedelta(minutes=16)
    console.wall = lambda: moment
    for _ in range(5):  # the other open incidents are checked every fifth tick
        window._tick()
    assert [p.target for p in paging.pages(console, incident)] == ["Sam", "Morgan"]
    qtbot.waitUntil(lambda: len(fake.alerts) == 2, timeout=10000)
