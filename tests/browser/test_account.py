"""Accounts in the browser: sign up from the home page, log in from a second browser, sign the first
one out from the second, log out."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import People, shot


def _fill(page: Page, form: str, username: str, password: str) -> None:
    box = page.locator(f"form#{form}")
    box.get_by_label("Username").fill(username)
    box.get_by_label("Password").fill(password)
    box.get_by_role("button", name="Sign up" if form == "signup" else "Log in").click()


@pytest.mark.slow
def test_sign_up_then_log_in_from_a_second_browser(people: People) -> None:
    name = f"ada_{secrets.token_hex(3)}"
    password = "analytical engine"
    first = people.page(people.context())
    first.goto("/")
    first.get_by_role("link", name="Sign up / Log in").click()
    expect(first.get_by_role("heading", name="Sign up or log in")).to_be_visible()

    # The server's rules come back inline.
    _fill(first, "signup", name, "short")
    expect(first.locator("#signup-error")).to_have_text("A password is 8–128 characters.")
    _fill(first, "signup", name, password)
    expect(first.locator("#account-name")).to_have_text(name)
    expect(first.locator("#me")).to_have_text(name)
    expect(first.locator("#devices")).to_have_text("Signed in on this device only.")
    shot(first, "account-signed-up")

    # Another browser: a wrong password is refused, the right one logs in.
    second = people.page(people.context())
    second.goto("/account")
    _fill(second, "login", name.upper(), "not the password")
    expect(second.locator("#login-error")).to_have_text("Wrong username or password.")
    _fill(second, "login", name.upper(), password)
    expect(second.locator("#account-name")).to_have_text(name)
    expect(second.locator("#devices")).to_have_text("Signed in on 2 devices.")
    expect(second.get_by_role("link", name="Account")).to_be_visible()
    # The home page knows who this is.
    second.goto("/")
    expect(second.locator("#me")).to_have_text(name)
    second.goto("/account")

    # The second browser signs the first one out; the first, reloaded, is signed out.
    second.get_by_role("button", name="Sign out other devices").click()
    expect(second.locator("#account-status")).to_have_text("Signed out 1 other device.")
    first.reload()
    expect(first.get_by_role("heading", name="Sign up or log in")).to_be_visible()

    second.get_by_role("button", name="Log out").click()
    expect(second.get_by_role("heading", name="Sign up or log in")).to_be_visible()
    second.reload()
    expect(second.get_by_role("heading", name="Sign up or log in")).to_be_visible()
    expect(second.get_by_role("button", name="Pick a name")).to_be_visible()
