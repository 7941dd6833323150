"""The roadmap board in a browser: a PM writes an item with its success metric and moves it to
Now from the keyboard; an item without a metric is refused on the way; an executive reads a
board without any move control."""

import re

from playwright.sync_api import expect

from insights.roles import Role
from roadmap.models import BacklogItem
from tests.conftest import user_with_role
from tests.insights.factories import ThemeFactory
from tests.roadmap.factories import BacklogItemFactory
from tests.roadmap.test_items import ready_item

PASSWORD = "backlight-test-pass"
Status = BacklogItem.Status


def test_a_pm_creates_an_item_with_a_metric_and_moves_it_to_now(
    transactional_db, live_server, page, login
):
    # Given a product manager, a pain point, and an item already in Now
    pm = user_with_role(Role.PRODUCT_MANAGER, username="e2e_pm")
    ThemeFactory(label="Slow CSV exports")
    ready_item(title="Already planned", status=Status.NOW, position=1)
    login(page, pm.username, PASSWORD)

    # When they write a new item from the board, with its success metric
    page.goto(f"{live_server.url}/roadmap/")
    page.get_by_test_id("new-item").click()
    page.fill("#id_title", "Background exports")
    page.fill("#id_customer_problem", "Exports of big reports time out.")
    page.fill("#id_desired_outcome", "Any export arrives by email within minutes.")
    page.select_option("#id_metric_kind", label="Pain-point volume")
    page.fill("#id_metric_description", "Slow-export mentions −50 % within 60 days.")
    page.fill("#id_target", "-50")
    page.fill("#id_effort_weeks", "3")
    page.fill("#id_tracker_key", "APP-42")
    page.select_option("#id_links-0-theme", label="Slow CSV exports")
    page.fill("#id_links-0-rationale", "Exports leave the page.")
    with page.expect_navigation():
        page.get_by_role("button", name="Create item").click()

    # Then its page shows the metric, the score's parts and the pain point with its reason
    expect(page).to_have_url(re.compile(r"/roadmap/items/\d+/$"))
    expect(page.locator("h1")).to_have_text("Background exports")
    expect(page.get_by_test_id("item-status")).to_have_text("Inbox")
    expect(page.get_by_test_id("rice")).to_contain_text("Confidence")
    expect(page.get_by_test_id("linked-pain-points")).to_contain_text("Exports leave the page.")

    # When they go back to the board, focus its card and move it two columns right with the keys
    page.goto(f"{live_server.url}/roadmap/")
    card = page.get_by_test_id("board-card").filter(has_text="Background exports")
    expect(card).to_have_attribute("draggable", "true")
    card.focus()
    page.keyboard.press("Space")
    status = page.locator("[data-board-status]")
    expect(status).to_contain_text("Picked up “Background exports”")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowUp")
    expect(status).to_contain_text("Now, position 1 of 2")
    page.keyboard.press("Space")

    # Then the server moves it, the live region says so, and the card sits on top of Now
    expect(status).to_contain_text("“Background exports” moved to Now, position 1 of 2.")
    now = page.get_by_test_id("column-now")
    expect(now.get_by_test_id("board-card").first).to_contain_text("Background exports")
    expect(card).to_be_focused()

    # And it is still there after a reload: the server holds the board
    page.reload()
    now = page.get_by_test_id("column-now")
    expect(now.get_by_test_id("board-card")).to_have_count(2)
    expect(now.get_by_test_id("board-card").first).to_contain_text("Background exports")
    item = BacklogItem.objects.get(title="Background exports")
    assert (item.status, item.position) == (Status.NOW, 1)


def test_an_item_without_a_metric_is_refused_at_now_and_goes_back(
    transactional_db, live_server, page, login
):
    # Given an idea without a desired outcome or a metric
    pm = user_with_role(Role.PRODUCT_MANAGER, username="e2e_pm")
    BacklogItemFactory(title="Vague idea", desired_outcome="", metric_kind="")
    login(page, pm.username, PASSWORD)
    page.goto(f"{live_server.url}/roadmap/")

    # When they press the card's "next column" button twice (Discovery, then Now)
    card = page.get_by_test_id("board-card").filter(has_text="Vague idea")
    status = page.locator("[data-board-status]")
    card.get_by_role("button", name="Move to the next column").click()
    expect(status).to_contain_text("moved to Discovery")
    card.get_by_role("button", name="Move to the next column").click()

    # Then the move to Now is refused with the reason, and the card is back in Discovery
    expect(status).to_contain_text("cannot be in Now yet")
    expect(status).to_contain_text("the desired outcome")
    discovery = page.get_by_test_id("column-discovery")
    expect(discovery.get_by_test_id("board-card")).to_contain_text("Vague idea")
    assert BacklogItem.objects.get().status == Status.DISCOVERY


def test_the_move_form_works_without_javascript(transactional_db, live_server, browser, login):
    # Given a PM whose browser runs no scripts
    pm = user_with_role(Role.PRODUCT_MANAGER, username="e2e_pm")
    ready_item(title="Plain form", status=Status.LATER)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    login(page, pm.username, PASSWORD)
    page.goto(f"{live_server.url}/roadmap/")

    # When they open the card's Move form, pick Now and submit
    card = page.get_by_test_id("board-card").filter(has_text="Plain form")
    card.locator("summary").click()
    card.get_by_label("Column").select_option(label="Now")
    with page.expect_navigation():
        card.get_by_role("button", name="Move").click()

    # Then the board comes back with the card in Now and says so
    expect(page.locator(".messages")).to_contain_text("“Plain form” moved to Now")
    now = page.get_by_test_id("column-now")
    expect(now.get_by_test_id("board-card")).to_contain_text("Plain form")
    context.close()


def test_an_executive_reads_a_board_without_move_controls(
    transactional_db, live_server, page, login
):
    # Given an executive and items on the board
    executive = user_with_role(Role.EXECUTIVE, username="e2e_exec")
    ready_item(title="Background exports", status=Status.NOW)
    BacklogItemFactory(title="Dark mode")
    login(page, executive.username, PASSWORD)

    # When they open the roadmap
    page.goto(f"{live_server.url}/roadmap/")

    # Then they see the cards and nothing to move them with
    expect(page.get_by_test_id("board-card")).to_have_count(2)
    expect(page.get_by_test_id("column-now")).to_contain_text("Background exports")
    expect(page.locator("[draggable=true]")).to_have_count(0)
    expect(page.locator(".board-card__tools")).to_have_count(0)
    expect(page.locator("[data-move-form]")).to_have_count(0)
    expect(page.get_by_role("button", name="Move to the next column")).to_have_count(0)
    expect(page.get_by_test_id("new-item")).to_have_count(0)
    expect(page.locator("[data-board-status]")).to_have_count(0)

    # And focusing a card and pressing Space does nothing
    page.get_by_test_id("board-card").first.locator("a").focus()
    page.keyboard.press("Space")
    assert BacklogItem.objects.get(title="Background exports").status == Status.NOW
