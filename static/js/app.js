// Site-wide behaviour. Loaded as a file (no inline script) so a strict CSP holds.
document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", () => {
  // Close the user menu when a link in it is followed by keyboard.
  document.querySelectorAll("details.dropdown a").forEach((link) => {
    link.addEventListener("click", () => link.closest("details").removeAttribute("open"));
  });

  // The phone menu (base.html): the button opens and closes the links; Escape closes them and
  // gives the focus back to the button.
  const toggle = document.querySelector(".menu-toggle");
  const menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (menu) {
    const setOpen = (open) => {
      menu.classList.toggle("open", open);
      toggle.setAttribute("aria-expanded", String(open));
    };
    toggle.addEventListener("click", () => {
      const open = !menu.classList.contains("open");
      setOpen(open);
      if (open) menu.querySelector("a")?.focus();
    });
    menu.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        setOpen(false);
        toggle.focus();
      }
    });
  }
});

// Keyboard shortcuts (listed in the dialog of base.html, opened with "?"). Never while the person
// types in a field or holds a modifier, so they cannot eat a letter someone meant to type.
(() => {
  const inField = (element) =>
    element instanceof Element &&
    (element.closest("input, textarea, select, [contenteditable=''], [contenteditable=true]") !== null);
  const dialog = () => document.getElementById("shortcuts");
  const openHelp = () => {
    const help = dialog();
    if (help && !help.open) help.showModal();
  };
  const follow = (selector) => {
    const link = document.querySelector(selector);
    if (link) link.click();
    return Boolean(link);
  };
  const go = (path) => {
    if (window.location.pathname !== path) window.location.assign(path);
  };
  const actions = {
    "?": openHelp,
    s: () => window.timetrackTimer?.toggle(),
    t: () => go("/time/"),
    d: () => go("/"),
    // The timesheet marks its "add an entry for today" control; elsewhere, go there and open it.
    n: () => follow("[data-shortcut=new-entry]") || window.location.assign("/time/?new=today#add-entry"),
    "[": () => follow("a[rel=prev]"),
    "]": () => follow("a[rel=next]"),
  };
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (inField(event.target) || dialog()?.open) return;
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });
  document.addEventListener("click", (event) => {
    if (!(event.target instanceof Element)) return;
    if (event.target.closest("[data-shortcuts-open]")) {
      event.target.closest("details")?.removeAttribute("open");
      openHelp();
    }
    if (event.target.closest("[data-shortcuts-close]")) dialog()?.close();
  });
})();
