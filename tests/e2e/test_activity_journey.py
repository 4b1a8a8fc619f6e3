"""A coordinator reviews last week's activity and follows a link straight to a diff.

The demo data holds, in the guidelines group, Paolo Conti's edit of the guidelines (version 2)
and a discussion. The coordinator opens "Attività" from the main menu, picks the last seven
days, filters by the guidelines group (the feed swaps in place, and the address changes so it
can be bookmarked), then follows Paolo's edit to the comparison of version 1 with version 2.
The activity page is audited with axe on the way, and at a phone's width.
"""

import re

from playwright.sync_api import Page, expect

from .pages import LoginPage
from .test_accessibility import PHONE_WIDTH
from .test_documents_journey import Findings

COORDINATOR = "coordinatrice@tavolo.example"
GROUP = "Revisione linee guida"
SLUG = "revisione-linee-guida"
EDITOR = "Paolo Conti"


def test_a_coordinator_filters_last_weeks_activity_and_opens_a_diff(page: Page, screenshot):
    findings = Findings()
    LoginPage(page).goto().login(COORDINATOR)

    page.get_by_role("navigation", name="Navigazione principale").get_by_role(
        "link", name="Attività"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Attività recenti nei tuoi gruppi")
    findings.axe(page, "activity feed")
    screenshot("feed")

    page.get_by_role("link", name="Ultimi 7 giorni").click()
    expect(page).to_have_url(re.compile(r"/attivita\?dal=\d{4}-\d{2}-\d{2}$"))
    feed = page.locator("#activity-feed")
    expect(feed.locator(".activity").first).to_be_visible()

    page.get_by_label("Gruppo").select_option(label=GROUP)
    page.get_by_role("button", name="Filtra").click()
    expect(page).to_have_url(re.compile(rf"gruppo={SLUG}"))
    events = feed.locator(".activity")
    expect(events.first).to_be_visible()
    # Only the guidelines group is left: no other group's name in the events' lines.
    for meta in events.locator(".activity__meta").all():
        expect(meta).to_contain_text(GROUP)
    edit = events.filter(has_text=f"{EDITOR} ha salvato la versione 2")
    expect(edit).to_have_count(1)
    findings.axe(page, "activity feed filtered by group")
    screenshot("filtered-by-group")

    edit.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/documenti/\d+/confronta\?da=1&a=2$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "confronto tra la versione 1 e la versione 2"
    )
    expect(page.locator("ins").filter(has_text="coordinamento affidi").first).to_be_visible()
    screenshot("diff")

    page.go_back()
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 800})
    page.reload()
    findings.axe(page, "activity feed on a phone")

    def fits_the_phone():
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE_WIDTH + 1, f"the activity page is {width}px wide on a phone"

    findings.soft("the activity page on a phone", fits_the_phone)
    screenshot("phone")
    findings.assert_none()
