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
