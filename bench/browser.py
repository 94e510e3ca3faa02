"""What a phone's browser sees: page weight on a first visit, and Largest Contentful Paint."""

from __future__ import annotations

import statistics

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
# No background traffic: this machine has no network beyond loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
# A slow mobile network and a mid-range phone, as DevTools emulates them.
SLOW_NETWORK = {
    "offline": False,
    "latency": 400,  # ms added to each request's round trip
    "downloadThroughput": 400_000 / 8,  # 400 kbit/s, in bytes a second
    "uploadThroughput": 400_000 / 8,
}
CPU_SLOWDOWN = 4
KINDS = {"document": "html", "stylesheet": "css", "script": "js"}

LARGEST_PAINT = """() => new Promise(resolve => {
  new PerformanceObserver(list => {
    const entries = list.getEntries();
    resolve(entries[entries.length - 1].startTime);
  }).observe({type: "largest-contentful-paint", buffered: true});
})"""


def _weigh(browser, url: str) -> dict[str, int]:
    """Bytes on the wire for a first visit (empty cache), by kind, bodies as sent."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    requests = []
    page.on("requestfinished", lambda request: requests.append(request))
    page.goto(url, wait_until="load")
    weights = {"html": 0, "css": 0, "js": 0, "other": 0, "headers": 0}
    for request in requests:
        sizes = request.sizes()
        weights[KINDS.get(request.resource_type, "other")] += sizes["responseBodySize"]
        weights["headers"] += sizes["responseHeadersSize"]
    weights["total"] = sum(weights[kind] for kind in ("html", "css", "js", "other"))
    weights["requests"] = len(requests)
    context.close()
    return weights


def _largest_paint(browser, url: str) -> float:
    """LCP in ms of one first visit on a throttled phone."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_NETWORK)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    page.goto(url, wait_until="load", timeout=60_000)
    paint = page.evaluate(LARGEST_PAINT)
    context.close()
    return paint


def measure(pages: dict[str, str], lcp_url: str, lcp_runs: int) -> dict:
    """Page weights of `pages` (name: URL), and the median LCP of `lcp_url`."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            weights = {name: _weigh(browser, url) for name, url in pages.items()}
            paints = [_largest_paint(browser, lcp_url) for _ in range(lcp_runs)]
        finally:
            browser.close()
    return {
        "page_weight_bytes": weights,
        "lcp_ms": {"median": statistics.median(paints), "runs": paints},
    }
