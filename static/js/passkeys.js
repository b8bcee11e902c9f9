// Passkeys (WebAuthn): using one at the code step of a login, adding one on the two-factor page.
// The browser's part is @simplewebauthn/browser (vendor/simplewebauthn); the server's is
// accounts/views_passkeys.py. A file, not inline script, so the strict CSP holds.
document.addEventListener("DOMContentLoaded", () => {
  const configElement = document.getElementById("passkey-config");
  const webauthn = window.SimpleWebAuthnBrowser;
  if (!configElement || !webauthn) return;
  const config = JSON.parse(configElement.textContent);
  const section = document.getElementById("passkey-section");
  const button = document.getElementById("passkey-button");
  const status = document.getElementById("passkey-status");
  const gettext = window.gettext || ((text) => text);

  if (!webauthn.browserSupportsWebAuthn()) {
    status.textContent = gettext("This browser cannot use passkeys.");
    button.disabled = true;
    return;
  }
  section.hidden = false;

  const say = (text, isError) => {
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
    status.setAttribute("role", isError ? "alert" : "status");
  };

  const post = async (url, body) => {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": config.csrfToken, Accept: "application/json", "Content-Type": "application/json" },
      body: body === undefined ? "" : JSON.stringify(body),
    });
    let data = {};
    try {
      data = await response.json();
    } catch (error) {
      data = {};
    }
    if (!response.ok) {
      const failure = new Error(data.detail || gettext("Something went wrong. Try again."));
      failure.field = data.field;
      failure.fromServer = true;
      throw failure;
    }
    return data;
  };

  const browserMessage = (error) => {
    if (error.name === "NotAllowedError" || error.name === "AbortError") {
      return gettext("Cancelled, or the passkey did not answer. Try again, or use a code.");
    }
    if (error.name === "InvalidStateError") return gettext("This passkey is already registered for your account.");
    return gettext("Something went wrong. Try again.");
  };

  const nameInput = document.getElementById("passkey-name");
  const nameError = document.getElementById("passkey-name-error");
  const fieldError = (text) => {
    if (!nameInput || !nameError) return false;
    nameError.textContent = text || "";
    nameError.hidden = !text;
    nameInput.setAttribute("aria-invalid", text ? "true" : "false");
    if (text) nameInput.focus();
    return true;
  };

  const run = async () => {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    say(config.ceremony === "login" ? gettext("Waiting for your passkey…") : gettext("Follow your browser's steps…"), false);
    fieldError("");
    try {
      if (config.ceremony === "login") {
        const options = await post(config.begin);
        const answer = await webauthn.startAuthentication({ optionsJSON: options });
        const done = await post(config.complete, answer);
        say(gettext("Logged in."), false);
        window.location.assign(done.redirect_url);
        return;
      }
      const name = nameInput ? nameInput.value : "";
      const complete = `${config.complete}?${new URLSearchParams({ name })}`;
      const options = await post(config.begin);
      const answer = await webauthn.startRegistration({ optionsJSON: options });
      await post(complete, answer);
      window.location.reload();
      return;
    } catch (error) {
      if (error.field === "name" && fieldError(error.message)) {
        say("", false);
      } else {
        say(error.fromServer ? error.message : browserMessage(error), true);
      }
    }
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.focus();
  };

  const form = document.getElementById("passkey-form");
  if (form) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      run();
    });
  } else {
    button.addEventListener("click", run);
  }
});
