"""WCAG 2.1 AA on the pages people use every day, checked by axe-core on a desktop and on a 375 px phone;
on the phone, none of them may need sideways scrolling either.

axe-core is a dev dependency in node_modules, never copied into app/static: the test evaluates its source in
the page. ``page.evaluate`` runs outside the page's Content-Security-Policy, where a <script> element that
Playwright's ``add_script_tag`` inserts would be refused by ``script-src 'self'``.
"""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, ROOT
from tests.helpers import self_report

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 375, "height": 812}
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")


def log_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill("demo1234")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("logout")).to_be_attached()


def violations(page: Page) -> list[str]:
    """Serious and critical violations on the page as it is now, one line per rule with its elements."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    # No preload: axe would copy the stylesheets into a <style> element, which the policy refuses (only
    # css-orientation-lock reads them, and no page here locks the orientation).
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],"
        " preload: false})",
        TAGS,
    )
    return [
        f"{page.url} [{rule['impact']}] {rule['id']}: {rule['help']} → "
        + "; ".join(" ".join(node["target"]) for node in rule["nodes"][:5])
        + f"\n    {rule['nodes'][0]['html'][:200]}\n    {rule['nodes'][0]['failureSummary']}"
        for rule in results["violations"]
        if rule["impact"] in BLOCKING
    ]


def sideways_scroll(page: Page) -> list[str]:
    """The page, when its content is wider than the window (a table or a row of buttons pushing out)."""
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return (
        [f"{page.url} needs sideways scrolling: {widths[0]} px in {widths[1]} px"]
        if widths[0] > widths[1]
        else []
    )


def problems(page: Page) -> list[str]:
    return violations(page) + sideways_scroll(page)


@pytest.fixture
def scoring_task(api) -> tuple[int, int]:
    """A dossier waiting for the commune's scoring, with the household's self-assessment pre-filled."""
    dossier_id = api.open_dossier()
    api.complete("demo-household", dossier_id, "self_report", self_report(9))
    return dossier_id, api.task_for("demo-commune", dossier_id, "commune_scoring")["id"]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_no_serious_or_critical_violations(new_context, scoring_task, viewport):
    dossier_id, task_id = scoring_task
    page = new_context(viewport=viewport).new_page()
    found = []

    page.goto("/login")
    found += problems(page)
    # A refused login: the error is on the page with the form.
    page.locator("#username").fill("demo-commune")
    page.locator("#password").fill("wrong-password")
    page.get_by_test_id("login-submit").click()
    found += problems(page)

    log_in(page, "demo-commune")
    for path in (
        "/inbox",
        f"/tasks/{task_id}",
        f"/dossiers/{dossier_id}",
        "/dossiers",
        "/notifications",
        "/desk",
    ):
        page.goto(path)
        found += problems(page)
    # The task page after a refused submission: errors, their summary and the fields they belong to.
    page.goto(f"/tasks/{task_id}")
    page.locator("#f-c1a").fill("15")
    page.get_by_test_id("submit-task").click()
    expect(page.get_by_test_id("error-summary")).to_be_visible()
    found += problems(page)
    # Logged out by forgetting the session: on a phone the logout button is inside the collapsed menu.
    page.context.clear_cookies()

    log_in(page, "demo-admin")
    for path in ("/admin/users", "/admin/procedures", "/admin/forms", "/admin/units", "/admin/audit"):
        page.goto(path)
        found += problems(page)
    # A user's page: roles, the unit picker, sessions.
    page.goto("/admin/users")
    page.get_by_role("link", name="demo-commune", exact=True).first.click()
    found += problems(page)
    page.context.clear_cookies()

    log_in(page, "demo-household")
    found += problems(page)
    page.goto(f"/dossiers/{dossier_id}")
    found += problems(page)

    assert found == [], "\n".join(found)
