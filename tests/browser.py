"""Headless Chromium driven by Selenium, to check maps the way a reader sees them.

Used by the browser tests and the benchmark (not by the CLI).  It uses Debian's chromium and
chromedriver from PATH and never lets Selenium download a driver; Chromium's own background
traffic is switched off so that the page's network log shows only what the page asks for.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--disable-dev-shm-usage",
)


def unavailable() -> str | None:
    """Why headless Chromium cannot be driven here, or None when it can."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    for tool in ("chromium", "chromedriver"):
        if not shutil.which(tool):
            return f"{tool} is not on PATH (apt-get install chromium chromium-driver)"
    return None


def chromium(user_data_dir: Path, size: tuple[int, int] = (1400, 900)):
    """A fresh headless Chromium with its performance (network) and console logs recorded."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={user_data_dir}")
    options.add_argument(f"--window-size={size[0]},{size[1]}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=options)
    driver.get("about:blank")  # leave the new-tab page before anything is measured
    driver.get_log("performance")
    return driver


def open_map(driver, path: Path, timeout: float = 60.0) -> float:
    """Open a map page from ``file://`` and wait until it has drawn; seconds from navigation.

    The time is the page's own ``performance.now()`` at vis-network's first ``afterDrawing``,
    i.e. from the start of navigation to a drawn, interactive network.
    """
    driver.get_log("performance")  # drain what earlier pages logged
    driver.get(Path(path).resolve().as_uri())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = driver.execute_script("return window.themegraphReady || null")
        if ready:
            return ready / 1000.0
        time.sleep(0.05)
    raise TimeoutError(f"{path} did not draw within {timeout} s")


def requests(driver) -> list[tuple[str, str]]:
    """(URL, requesting document) of every request since the last call (DevTools performance log).

    The document tells the page's requests from the browser's own (its new-tab page, say).
    """
    sent = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            params = message["params"]
            sent.append((params["request"]["url"], params.get("documentURL", "")))
    return sent
