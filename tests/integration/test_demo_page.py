"""The demo page, driven in headless Chromium (Selenium) against the real server with the test models.

Screenshots go to artifacts/ (CI keeps that folder): demo.png after a translation, demo-error.png after an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.support.server import REPO_ROOT, RunningServer
from tests.support.system_tools import require_tools

pytestmark = pytest.mark.integration

ARTIFACTS = REPO_ROOT / "artifacts"
STATIC = REPO_ROOT / "src" / "mostlylucid_nmt" / "api" / "static" / "demo"


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    tools = require_tools("chromium", "chromedriver")
    options = webdriver.ChromeOptions()
    options.binary_location = tools["chromium"]
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(argument)
    # The driver path is given, so Selenium Manager never tries to download one (CI is offline).
    driver = webdriver.Chrome(options=options, service=Service(executable_path=tools["chromedriver"]))
    try:
        yield driver
    finally:
        driver.quit()


def _open(browser: WebDriver, server: RunningServer) -> None:
    browser.get(f"{server.base_url}/")
    _wait_for_state(browser, "ready")


def _wait_for_state(browser: WebDriver, *states: str) -> str:
    def state(driver: WebDriver) -> str | None:
        value = driver.find_element(By.TAG_NAME, "body").get_attribute("data-state")
        return value if value in states else None

    result: str = WebDriverWait(browser, 60).until(state)
    return result


def _option_values(browser: WebDriver, select_id: str) -> list[str]:
    # In one script call: the page replaces the options when the source changes, which would leave
    # element-by-element reads holding stale elements.
    script = "return Array.from(document.getElementById(arguments[0]).options, (option) => option.value);"
    values: list[str] = browser.execute_script(script, select_id)
    return values


def _screenshot(browser: WebDriver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    assert browser.save_screenshot(str(path))
    return path


def test_choose_languages_type_and_translate_with_ctrl_enter(
    browser: WebDriver, test_model_server: RunningServer
) -> None:
    _open(browser, test_model_server)
    assert browser.current_url == f"{test_model_server.base_url}/demo"
    with httpx.Client(base_url=test_model_server.base_url) as client:
        languages = client.get("/get_languages").json()
        targets_of_en = client.get("/get_languages", params={"source_lang": "en"}).json()
    # Source: "Detect language" then every language; target: every language until a source is chosen.
    assert _option_values(browser, "source-lang") == ["", *languages]
    assert _option_values(browser, "target-lang") == languages

    Select(browser.find_element(By.ID, "source-lang")).select_by_value("en")
    _wait_for_state(browser, "ready")
    assert _option_values(browser, "target-lang") == targets_of_en
    Select(browser.find_element(By.ID, "target-lang")).select_by_value("fr")
    text_box = browser.find_element(By.ID, "source-text")
    text_box.send_keys("Good morning, dear friends. How are you today?")
    text_box.send_keys(Keys.CONTROL, Keys.ENTER)

    assert _wait_for_state(browser, "done", "error") == "done", browser.find_element(By.ID, "error").text
    translated = browser.find_element(By.ID, "result").text
    with httpx.Client(base_url=test_model_server.base_url) as client:
        expected = client.post(
            "/translate",
            json={
                "text": "Good morning, dear friends. How are you today?",
                "target_lang": "fr",
                "source_lang": "en",
            },
        ).json()["translated"]
    assert translated.strip()
    assert translated.strip() == expected.strip()
    # en->fr is served by the multi-target Opus-MT model; the page shows which one and how long it took.
    assert "Helsinki-NLP/opus-mt-en-roa" in browser.find_element(By.ID, "status").text
    assert browser.find_element(By.ID, "detected").text == ""
    assert not browser.find_element(By.ID, "error").is_displayed()
    _screenshot(browser, "demo.png")


def test_detected_language_is_shown(browser: WebDriver, test_model_server: RunningServer) -> None:
    _open(browser, test_model_server)
    assert (
        Select(browser.find_element(By.ID, "source-lang")).first_selected_option.get_attribute("value") == ""
    )
    Select(browser.find_element(By.ID, "target-lang")).select_by_value("de")
    browser.find_element(By.ID, "source-text").send_keys("The weather is very nice this morning.")
    browser.find_element(By.ID, "translate").click()
    assert _wait_for_state(browser, "done", "error") == "done", browser.find_element(By.ID, "error").text
    assert re.search(r"detected: .*\(en\)|detected: en", browser.find_element(By.ID, "detected").text)
    assert browser.find_element(By.ID, "result").text.strip()


def test_errors_show_the_api_detail(browser: WebDriver, test_model_server: RunningServer) -> None:
    _open(browser, test_model_server)
    # A pasted document over EASYNMT_MAX_TEXT_LEN (50,000 characters): typing it would take minutes.
    browser.execute_script("document.getElementById('source-text').value = 'a'.repeat(50001);")
    browser.find_element(By.ID, "translate").click()
    assert _wait_for_state(browser, "done", "error") == "error"
    error = browser.find_element(By.ID, "error")
    assert error.is_displayed()
    assert error.text.startswith("The server answered 413 (payload_too_large): ")
    assert "EASYNMT_MAX_TEXT_LEN" in error.text
    assert browser.find_element(By.ID, "result").text == ""
    _screenshot(browser, "demo-error.png")

    # An empty text never reaches the server, and says what to do.
    browser.execute_script("document.getElementById('source-text').value = '';")
    browser.find_element(By.ID, "translate").click()
    WebDriverWait(browser, 10).until(
        lambda driver: "Type some text" in driver.find_element(By.ID, "error").text
    )


def test_root_redirects_and_the_page_loads_nothing_from_elsewhere(test_model_server: RunningServer) -> None:
    with httpx.Client(base_url=test_model_server.base_url) as client:
        root = client.get("/")
        assert root.status_code == 307
        assert root.headers["location"] == "/demo"
        page = client.get("/demo")
        assert page.headers["content-type"].startswith("text/html")
        assert "default-src 'self'" in page.headers["content-security-policy"]
        for asset, media_type in (("demo.js", "text/javascript"), ("demo.css", "text/css")):
            response = client.get(f"/demo/{asset}")
            assert response.headers["content-type"].startswith(media_type)
            assert response.content == (STATIC / asset).read_bytes()
        assert client.get("/demo/index.html").status_code == 404
        assert client.get("/demo/secrets.txt").json()["error"] == "not_found"
        # The demo is not part of the API's schema.
        assert not any(
            path.startswith("/demo") or path == "/" for path in client.get("/openapi.json").json()["paths"]
        )
    for path in STATIC.iterdir():
        assert not re.search(r"(src|href)=\"(https?:)?//", path.read_text()), path
        assert not re.search(r"https?://", path.read_text()), path
