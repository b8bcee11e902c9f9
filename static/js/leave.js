// Leave pages. A file, not inline script, so the strict CSP holds.
document.addEventListener("DOMContentLoaded", () => {
  // Calendar cells carry their leave type colour in data-color; CSS reads --leave-color.
  document.querySelectorAll("[data-color]").forEach((cell) => {
    if (/^#[0-9a-fA-F]{6}$/.test(cell.dataset.color)) {
      cell.style.setProperty("--leave-color", cell.dataset.color);
    }
  });
  // Feed links: select the whole URL on focus so it is easy to copy.
  document.querySelectorAll("#personal-feed, #team-feed").forEach((input) => {
    input.addEventListener("focus", () => input.select());
  });
});
