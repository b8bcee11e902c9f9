// The API docs (templates/drf_spectacular/swagger_ui.html): names for the controls Swagger UI draws
// without one, each time React draws them. A file, not inline script: the CSP allows none.
// - In "Try it out", a boolean or enum parameter's <select> and the request body's <textarea> (axe
//   select-name, label).
// - In the Authorize dialog, the close button (an icon only: button-name) and Authorize, whose name
//   "Apply credentials" does not contain the word it shows (label-content-name-mismatch).
// - An opened operation's example values and responses: code boxes that scroll, reachable by keyboard
//   so they can be scrolled without a mouse (scrollable-region-focusable).
(() => {
  const root = document.getElementById("swagger-ui");
  if (!root) return;
  const name = (selector, label) => {
    root.querySelectorAll(selector).forEach((element) => {
      const text = typeof label === "function" ? label(element) : label;
      if (element.getAttribute("aria-label") !== text) element.setAttribute("aria-label", text);
    });
  };
  const nameControls = () => {
    name("tr[data-param-name] select:not([aria-label])", (select) => {
      const row = select.closest("tr");
      return `${row.dataset.paramName} (${row.dataset.paramIn || "parameter"})`;
    });
    name("textarea.body-param__text:not([aria-label])", "Request body");
    name(".modal-ux button.close-modal:not([aria-label])", "Close");
    name(".modal-ux button.modal-btn.authorize", "Authorize (apply credentials)");
    name(".modal-ux button.modal-btn.logout", (button) => button.textContent.trim() || "Logout");
    root.querySelectorAll("pre.microlight:not([tabindex]), .highlight-code > pre:not([tabindex])").forEach((code) => {
      code.tabIndex = 0;
    });
  };
  new MutationObserver(nameControls).observe(root, { childList: true, subtree: true, attributes: true, attributeFilter: ["aria-label"] });
})();
