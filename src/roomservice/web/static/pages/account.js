// Account: sign up (the guest session becomes an account, or a new one is started for it), log in on
// this device, and once signed in: log out, and sign out every other device.

import { ApiError } from "/static/roomservice.js";
import { $, client, describe, fill, h, loadSession, renderNav, setSessionMark, toast } from "/static/pages/common.js";

const USERNAME_PATTERN = "[A-Za-z0-9_\\-]{3,24}";
const USERNAME_RULE = "3–24 characters: letters A–Z, digits, '_' and '-'.";
const PASSWORD_RULE = "8–128 characters.";

/** A labelled input with its hint and its own error line. */
function field(id, label, attrs, hint) {
  const input = h("input", { id, name: id, required: true, "aria-describedby": `${id}-hint ${id}-error`, ...attrs });
  return {
    input,
    el: h(
      "div",
      { class: "field" },
      h("label", { for: id, text: label }),
      input,
      hint ? h("span", { id: `${id}-hint`, class: "hint", text: hint }) : null,
    ),
  };
}

/** A form of a username and a password; `submit(username, password)` does the work, and what it
 * throws is shown in the form. */
function credentialsForm({ prefix, title, button, passwordAutocomplete, hints, submit }) {
  const user = field(`${prefix}-username`, "Username", {
    autocomplete: "username",
    maxlength: 24,
    pattern: hints ? USERNAME_PATTERN : null,
  }, hints ? USERNAME_RULE : null);
  const pass = field(`${prefix}-password`, "Password", {
    type: "password",
    autocomplete: passwordAutocomplete,
    minlength: hints ? 8 : null,
    maxlength: 128,
  }, hints ? PASSWORD_RULE : null);
  const error = h("p", { id: `${prefix}-error`, class: "error-text", role: "alert" });
  const heading = h("h2", { id: `${prefix}-title`, text: title });
  const form = h(
    "form",
    { id: prefix, novalidate: true, "aria-labelledby": heading.id },
    heading,
    user.el,
    pass.el,
    error,
    h("div", { class: "row" }, h("button", { class: "primary", type: "submit" }, button)),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    for (const input of [user.input, pass.input]) input.removeAttribute("aria-invalid");
    try {
      await submit(user.input.value.trim(), pass.input.value);
    } catch (err) {
      error.textContent = describe(err);
      const bad = err instanceof ApiError && err.code === "invalid_password" ? pass.input : user.input;
      bad.setAttribute("aria-invalid", "true");
      bad.focus();
    }
  });
  return form;
}

async function signUp(username, password) {
  if (!client.session) {
    // No session yet: start one under the same name, then make it the account.
    await client.createSession(username);
    setSessionMark(true);
  }
  await client.signUp(username, password);
  toast(`Welcome, ${username}! Your account is ready.`);
  await show();
}

async function logIn(username, password) {
  await client.logIn(username, password);
  setSessionMark(true);
  toast("You are logged in.");
  await show();
}

function signedOut(main, session) {
  fill(
    main,
    h("h1", { text: "Sign up or log in" }),
    h("p", {
      class: "muted",
      text: session
        ? `You are playing as the guest ${session.username}. An account keeps your name, rooms and leaderboard entries on every device.`
        : "An account keeps your name, rooms and leaderboard entries on every device. Guests can still play without one.",
    }),
    h(
      "div",
      { class: "cards account-forms" },
      credentialsForm({
        prefix: "signup",
        title: "Sign up",
        button: "Sign up",
        passwordAutocomplete: "new-password",
        hints: true,
        submit: signUp,
      }),
      credentialsForm({
        prefix: "login",
        title: "Log in",
        button: "Log in",
        passwordAutocomplete: "current-password",
        hints: false,
        submit: logIn,
      }),
    ),
  );
}

function signedIn(main, account) {
  const status = h("p", { id: "account-status", role: "status" });
  const devices = h("p", {
    id: "devices",
    text: account.sessions === 1 ? "Signed in on this device only." : `Signed in on ${account.sessions} devices.`,
  });
  fill(
    main,
    h("h1", { text: "Your account" }),
    h("p", {}, "Signed in as ", h("strong", { id: "account-name", text: account.username }), "."),
    devices,
    h(
      "div",
      { class: "row" },
      h(
        "button",
        {
          type: "button",
          id: "sign-out-others",
          onClick: async () => {
            try {
              const { signed_out: n } = await client.signOutOthers();
              status.textContent = n === 1 ? "Signed out 1 other device." : `Signed out ${n} other devices.`;
              devices.textContent = "Signed in on this device only.";
            } catch (err) {
              status.textContent = describe(err);
            }
          },
        },
        "Sign out other devices",
      ),
      h(
        "button",
        {
          type: "button",
          id: "log-out",
          onClick: async () => {
            try {
              await client.logOut();
            } catch (err) {
              if (!(err instanceof ApiError && err.status === 401)) {
                status.textContent = describe(err);
                return;
              }
            }
            setSessionMark(false);
            toast("You are logged out.");
            await show();
          },
        },
        "Log out",
      ),
    ),
    status,
  );
}

async function show() {
  const session = await loadSession();
  const main = $("#main");
  if (session?.account) {
    try {
      signedIn(main, await client.account());
      return;
    } catch (err) {
      if (!(err instanceof ApiError && (err.status === 401 || err.status === 403))) {
        fill(main, h("p", { class: "notice", role: "alert", text: `Could not load your account: ${describe(err)}` }));
        return;
      }
    }
  }
  renderNav();
  signedOut(main, client.session);
}

show();
