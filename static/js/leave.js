// Leave pages. A file, not inline script, so the strict CSP holds.
document.addEventListener("DOMContentLoaded", () => {
  // Calendar cells carry their leave type colour in data-color; CSS reads --leave-color. The colour
  // is HR's choice: the letter on it is black or white, whichever reads better (WCAG contrast).
  const luminance = (hex) => {
    const [r, g, b] = [1, 3, 5].map((i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  document.querySelectorAll("[data-color]").forEach((cell) => {
    const color = cell.dataset.color;
    if (/^#[0-9a-fA-F]{6}$/.test(color)) {
      cell.style.setProperty("--leave-color", color);
      const light = luminance(color);
      cell.style.setProperty("--leave-ink", (light + 0.05) / 0.05 > 1.05 / (light + 0.05) ? "#000" : "#fff");
    }
  });

  // A month is wider than a phone: open it at today's column (just right of the sticky names).
  const wrap = document.querySelector(".leave-calendar-wrap");
  const today = wrap && wrap.querySelector("thead .leave-today");
  if (today && wrap.scrollWidth > wrap.clientWidth) {
    const names = wrap.querySelector("thead .leave-person");
    wrap.scrollLeft = Math.max(0, today.offsetLeft - names.offsetWidth - today.offsetWidth);
  }

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
