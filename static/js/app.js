// Site-wide behaviour. Loaded as a file (no inline script) so a strict CSP holds.
document.addEventListener("DOMContentLoaded", () => {
  // Close the user menu when a link in it is followed by keyboard.
  document.querySelectorAll("details.dropdown a").forEach((link) => {
    link.addEventListener("click", () => link.closest("details").removeAttribute("open"));
  });
});
