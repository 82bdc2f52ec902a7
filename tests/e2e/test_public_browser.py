"""The public page in a real headless browser (Debian's chromium driven by playwright, as the
sandbox's browser test does): on a 360 px phone and on a desktop, in Indonesian and English.
Screenshots go to ``$SIGAP_ARTIFACTS_DIR`` (default: the test's temporary folder) and their paths
are printed. Without chromium (``make browser``) or playwright the test is skipped with the
reason.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e import public_seed as seed
from tests.e2e.harness import Harness
from tests.e2e.test_public_page import Site, site  # noqa: F401 (fixture)
from tests.e2e.test_sandbox_browser import CHROMIUM, CHROMIUM_FLAGS, async_api

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no chromium found (install it with `make browser`, or set SIGAP_CHROMIUM)",
    ),
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
]


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SIGAP_ARTIFACTS_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_public_page_on_a_phone_and_a_desktop(
    office: Harness,
    site: Site,  # noqa: F811
    artifacts: Path,
) -> None:
    await seed.seed_survey(office)
    await seed.seed_complaints(office)
    shots: list[Path] = []
    async with async_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS, timeout=20_000
        )
        try:
            for name, width, height in (("phone", 360, 740), ("desktop", 1280, 900)):
                page = await browser.new_page(viewport={"width": width, "height": height})
                page.set_default_timeout(10_000)
                errors: list[str] = []
                page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
                await page.goto(site.url + "/publik")
                await page.locator("h1", has_text="Data Publik Pelayanan").wait_for()
                # Nothing wider than the screen: wide tables scroll inside their own box.
                overflow = await page.evaluate(
                    "document.documentElement.scrollWidth - window.innerWidth"
                )
                assert overflow <= 0, f"{name}: the page is {overflow} px wider than the screen"
                # Every chart drawn, scaled to the screen (not clipped, not collapsed).
                widths = await page.eval_on_selector_all(
                    "svg.chart", "charts => charts.map(c => c.getBoundingClientRect().width)"
                )
                assert len(widths) == 3 and all(0 < w <= width for w in widths), widths
                row = page.locator("tr", has_text="November 2026").first
                assert "75" in await row.inner_text()
                shots.append(artifacts / f"publik-{name}.png")
                await page.screenshot(path=str(shots[-1]), full_page=True)
                # The language switch keeps the reader on the page, in English.
                await page.click("header nav a")
                await page.locator("h1", has_text="Public Service Figures").wait_for()
                shots.append(artifacts / f"publik-{name}-en.png")
                await page.screenshot(path=str(shots[-1]), full_page=True)
                assert errors == []
                await page.close()
        finally:
            await browser.close()
    for shot in shots:
        assert shot.stat().st_size > 10_000, shot
        print(f"screenshot: {shot}")
