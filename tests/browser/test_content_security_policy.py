"""The security headers (app/security.py) as Chromium applies them.

Every browser test already fails when a page breaks the Content-Security-Policy (tests/browser/conftest.py
watches the console); these tests show that the policy is really in force, that the pages with scripts
(the dossier diagram, the task form logic, the form builder, the procedure modeler) are sent the policy
chosen for them, that no other site can frame a page, and that the device features named in
Permissions-Policy are ones Chromium knows and turns off. Tests that provoke violations on purpose use
their own context, outside that watch.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from app.security import PERMISSIONS, STRICT
from tests.browser.test_form_logic_browser import open_task_page
from tests.helpers import walk

pytestmark = pytest.mark.browser

MODELER = "/admin/procedures/gia_dinh_hoc_tap/versions/1/edit"

# An inline script, an inline style attribute and code from a string, each tried on the page; true where
# it worked. The string goes through a timer because Playwright's own evaluation may run eval directly.
PROBE = """async () => {
  const violations = [];
  document.addEventListener("securitypolicyviolation", (e) => violations.push(e.effectiveDirective));
  const script = document.createElement("script");
  script.textContent = "window.inlineScriptRan = true";
  document.body.append(script);
  const box = document.createElement("div");
  box.setAttribute("style", "width: 123px");
  document.body.append(box);
  setTimeout("window.stringCodeRan = true", 0);
  await new Promise((resolve) => setTimeout(resolve, 200));
  return {
    inlineScript: window.inlineScriptRan === true,
    inlineStyle: getComputedStyle(box).width === "123px",
    stringCode: window.stringCodeRan === true,
    violations: [...new Set(violations)].sort(),
  };
}"""


def log_in(page: Page, username: str, password: str = "demo1234") -> None:
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("logout")).to_be_attached()


@pytest.fixture
def unwatched(browser, live_server):
    """A page whose policy violations are the point of the test, so not failed by the conftest watch."""
    context = browser.new_context(base_url=live_server)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def policy_of(page: Page, path: str) -> str:
    response = page.goto(path)
    assert response.ok, path
    return response.headers["content-security-policy"]


def test_the_pages_with_scripts_get_their_policy_and_run_within_it(page: Page, api, new_context):
    """The conftest watch fails this test if any of these pages (or the libraries on them) is blocked."""
    dossier_id = walk(api, to="district_verification")
    open_task_page(page, api)
    assert policy_of(page, page.url) == STRICT
    assert page.evaluate("typeof window.FormLogic.settle") == "function"

    household = new_context().new_page()
    log_in(household, "demo-household")
    assert policy_of(household, f"/dossiers/{dossier_id}") == STRICT
    expect(household.get_by_test_id("dossier-diagram")).to_have_attribute("data-ready", "true")
    expect(household.locator('.djs-element[data-element-id="district_verification"]')).to_have_class(
        re.compile(r"\bstep-active\b")
    )

    admin = new_context().new_page()
    log_in(admin, "demo-admin")
    assert policy_of(admin, "/admin/forms") == STRICT
    admin.get_by_test_id("new-key").fill("csp_kiem_tra")
    admin.get_by_test_id("new-title-vi").fill("Kiểm tra chính sách nội dung")
    admin.get_by_test_id("create").click()
    expect(admin.locator("body[data-builder-ready]")).to_be_attached()
    admin.get_by_test_id("add-type").select_option("integer")
    admin.get_by_test_id("add-field").click()
    # The preview is HTML from the server put in place by script; its input's width is a class now.
    expect(admin.get_by_test_id("preview").locator("input.input-number")).to_have_css("max-width", "144px")

    modeler = policy_of(admin, MODELER)
    assert "style-src 'self' 'unsafe-inline'" in modeler
    assert "script-src 'self';" in modeler and "frame-ancestors 'none'" in modeler
    expect(admin.locator("body[data-modeler-ready]")).to_be_attached()
    admin.get_by_role("tab", name="rating.dmn").click()
    expect(admin.locator(".dmn-decision-table-container")).to_be_visible()


def test_inline_script_inline_style_and_eval_are_refused(unwatched: Page):
    unwatched.goto("/login")
    assert unwatched.evaluate(PROBE) == {
        "inlineScript": False,
        "inlineStyle": False,
        "stringCode": False,
        "violations": ["script-src", "script-src-elem", "style-src-attr"],
    }


def test_the_modeler_allows_inline_styles_but_never_inline_script(unwatched: Page):
    log_in(unwatched, "demo-admin")
    unwatched.goto(MODELER)
    expect(unwatched.locator("body[data-modeler-ready]")).to_be_attached()
    result = unwatched.evaluate(PROBE)
    assert (result["inlineScript"], result["inlineStyle"], result["stringCode"]) == (False, True, False)


def test_no_other_site_can_frame_a_page(unwatched: Page, live_server):
    with unwatched.expect_console_message(lambda message: "frame-ancestors 'none'" in message.text):
        unwatched.set_content(f'<iframe src="{live_server}/login" title="framed"></iframe>')
    expect(unwatched.frame_locator("iframe").locator("#username")).to_have_count(0)


def test_device_features_are_switched_off_by_names_chromium_knows(page: Page):
    response = page.goto("/login")
    assert "camera=()" in response.headers["permissions-policy"]
    known = page.evaluate("document.featurePolicy.features()")
    allowed = page.evaluate("document.featurePolicy.allowedFeatures()")
    assert [feature for feature in PERMISSIONS if feature not in known] == []
    assert [feature for feature in PERMISSIONS if feature in allowed] == []
