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

  // The request form: hours only for hourly types, half days only for daily ones.
  const typeSelect = document.querySelector("select[data-leave-type]");
  if (typeSelect) {
    const fieldOf = (name) => {
      const input = typeSelect.form.querySelector(`[name="${name}"]`);
      return input ? input.closest(".field") : null;
    };
    const sync = () => {
      const option = typeSelect.selectedOptions[0];
      const hourly = option && option.dataset.unit === "hours";
      const hours = fieldOf("hours");
      if (hours) {
        hours.hidden = !hourly;
        if (!hourly) hours.querySelector("input").value = "";
      }
      ["start_part", "end_part"].forEach((name) => {
        const field = fieldOf(name);
        if (field) field.hidden = hourly;
      });
    };
    typeSelect.addEventListener("change", sync);
    sync();
  }
});
