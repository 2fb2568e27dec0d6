"""The console end to end: the service on the real servers with clients and an operator
configured, the page in headless Chromium (Debian's, installed by
scripts/install-browser.sh; Playwright only drives it, it never downloads a browser)
signed in as the operator with HTTP Basic credentials, as a browser asks for them.
Screenshots are checked; with CONSOLE_SCREENSHOT set to a path (docs/console.png for
the docs) the page's first screen is saved there.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import aiohttp
import pytest
from PIL import Image
from playwright.async_api import Page, async_playwright, expect

from payments.domain.model import OrderStatus
from payments.domain.topics import TopicNames
from tests.iso20022.files import sepa_file
from tests.payments.conftest import (
    KEY_A,
    KEY_B,
    KEY_OPS,
    VALID_ORDER,
    StartService,
    basic,
    bearer,
    routes_beside_the_flow,
)
from tests.payments.test_console_api import HEARTBEAT
from tests.payments.wire import produce
from tests.polling import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 20_000
LIFECYCLE = ["PENDING", "VALIDATED", "ACCEPTED", "EXECUTING", "EXECUTED"]


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    chromium = shutil.which("chromium")
    if chromium is None:  # a skip fails the run under CI
        pytest.skip("Debian's chromium is not installed (scripts/install-browser.sh)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield await browser.new_page(
                viewport={"width": 1440, "height": 1000},
                http_credentials={"username": "ops", "password": KEY_OPS},
            )
        finally:
            await browser.close()


def check_screenshot(png: bytes, min_size: tuple[int, int]) -> Image.Image:
    """A real picture of the page: it decodes, is big enough and is not blank."""
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG"
    assert image.width >= min_size[0], image.size
    assert image.height >= min_size[1], image.size
    colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
    assert len(colours) >= 50, f"only {len(colours)} colours: a blank page?"
    executed_green = (0x16, 0xA3, 0x4A)  # badges, tiles and timeline of EXECUTED orders
    assert any(colour == executed_green for _, colour in colours)
    return image


async def test_operators_follow_orders_and_routes_in_the_console(
    start_service: StartService,
    client: aiohttp.ClientSession,
    page: Page,
    clients_file: Path,
    kafka_bootstrap: str,
    tenant: str,
    tmp_path: Path,
) -> None:
    routes = routes_beside_the_flow(tmp_path / "routes", HEARTBEAT)
    service = await start_service("all", routes_dir=routes, api_clients_file=clients_file)
    ids = []
    for key in (KEY_A, KEY_B, KEY_A):  # the console shows every client's orders
        async with client.post(
            f"{service.http.url}/payment-orders", json=VALID_ORDER, headers=bearer(key)
        ) as answer:
            assert answer.status == 201
            ids.append((await answer.json())["id"])

    problems: list[str] = []  # uncaught script errors, and what the page's policy refused
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if "Refused" in m.text else None)
    await page.goto(f"{service.http.url}/console")
    await expect(page.locator("#counts [data-state='EXECUTED'] .count")).to_have_text(
        "3", timeout=WAIT_MS
    )
    for state in OrderStatus:
        if state is not OrderStatus.EXECUTED:
            await expect(page.locator(f"#counts [data-state='{state}'] .count")).to_have_text("0")
    await expect(page.locator("#counts .total .count")).to_have_text("3")

    # Search one order by id; its timeline shows the whole lifecycle in order.
    await page.fill("#search-id", ids[1])
    await page.click("#search button[type=submit]")
    rows = page.locator("#orders tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-order-id", ids[1])
    await expect(page.locator("#timeline-id")).to_have_text(ids[1])
    await expect(page.locator("#timeline-steps .status")).to_have_text(LIFECYCLE)
    await page.fill("#search-id", "no-such-order")
    await page.click("#search button[type=submit]")
    await expect(page.locator("#message")).to_have_text("No payment order no-such-order")
    await expect(rows).to_have_count(0)
    # A state's tile filters the list.
    await page.click("#counts [data-state='FAILED']")
    await expect(rows).to_have_count(0)
    await page.click("#counts [data-state='EXECUTED']")
    await expect(rows).to_have_count(3)

    # Every route is drawn, the YAML one too, with its live metrics.
    cards = page.locator("#routes .route")
    await expect(cards).to_have_count(len(service.engine.routes))
    for route_id in service.engine.routes:
        card = page.locator(f"#routes .route[data-route-id='{route_id}']")
        await expect(card.locator(".title")).to_have_text(route_id)
        await expect(card.locator("[data-metric='status']")).to_have_text("Started")
    create = page.locator("#routes .route[data-route-id='create-payment-order']")
    await expect(create.locator("[data-metric='completed']")).to_have_text("3", timeout=WAIT_MS)
    heartbeat = page.locator("#routes .route[data-route-id='yaml-heartbeat']")
    await expect(heartbeat.locator(".source")).to_have_text("YAML heartbeat.yaml")
    await expect(heartbeat.locator("[data-metric='completed']")).to_have_text(
        re.compile(r"^[1-9][0-9]*$"), timeout=WAIT_MS
    )
    kinds = await heartbeat.locator(".box").evaluate_all("boxes => boxes.map(b => b.dataset.kind)")
    assert kinds == [
        "from", "setBody", "log", "filter", "choice", "when", "to", "otherwise", "to",
        "dead-letter",
    ]  # fmt: skip
    # Markup in a route's label is shown as text, never run.
    await expect(heartbeat.locator("[data-kind='log']")).to_contain_text("<img src=x onerror=")
    assert await page.locator("#routes img").count() == 0
    assert await page.evaluate("document.body.dataset.injected") is None

    # Reconciliation is off here; the dead letters show a poison command once it is there.
    await expect(page.locator("#reconciliation-note")).to_have_text(
        "reconciliation is off: set RECONCILE_PERIOD"
    )
    await expect(page.locator("#letters-note")).to_have_text("none")
    topics = TopicNames(f"{tenant}.")
    await produce(kafka_bootstrap, topics.execute, [("poison-1", b"{not json")])

    async def dead_lettered() -> bool:
        url = f"{service.http.url}/console/api/dead-letters"
        async with client.get(url, headers=basic(KEY_OPS)) as answer:
            return bool((await answer.json())["items"])

    await eventually(dead_lettered)
    await page.click("#letters-reload")
    letters = page.locator("#letters tbody tr")
    await expect(letters).to_have_count(1)
    await expect(letters.first).to_contain_text("payments.lifecycle.execution.PoisonCommand")

    # A client's payment file: listed, and opened, its transfers follow their orders.
    await expect(page.locator("#files-note")).to_have_text("none yet")
    day = date.today() - timedelta(days=1)  # paid at once
    pain = sepa_file(tmp_path, "pain.001.001.09", 3, day=day)
    async with client.post(
        f"{service.http.url}/payment-files",
        data=io.BytesIO(pain.read_bytes()),
        headers={"Content-Type": "application/xml", **bearer(KEY_A)},
    ) as answer:
        assert answer.status == 202
        file_id = (await answer.json())["id"]
    await page.click("#files-reload")
    listed = page.locator(f"#files tbody tr[data-file-id='{file_id}']")
    await expect(listed).to_contain_text("shop-a")
    await listed.locator(".file-id").click()
    transfers = page.locator("#transfers tbody tr")
    await expect(transfers).to_have_count(3)
    await expect(page.locator("#transfers .badge")).to_have_text(["EXECUTED"] * 3, timeout=WAIT_MS)
    await expect(page.locator("#file-note")).to_contain_text("group status ACSC")
    await transfers.first.locator(".order-id").click()
    await expect(page.locator("#timeline-steps .status")).to_have_text(LIFECYCLE)

    await page.click(f"#orders tbody tr[data-order-id='{ids[0]}'] .order-id")
    await expect(page.locator("#timeline-id")).to_have_text(ids[0])
    check_screenshot(await page.screenshot(full_page=True), (1440, 1200))
    assert problems == []
    first_screen = await page.screenshot(path=os.environ.get("CONSOLE_SCREENSHOT"))
    check_screenshot(first_screen, (1440, 1000))
