// The week grid (templates/timetracking/_week_body.html): every change answers with the week's body,
// swapped in place by htmx. This module keeps the keyboard where the person left it across those
// swaps, moves between cells with the arrow keys and Enter, and retires the Undo of a deletion.
// Loaded as a file (strict CSP: no inline script).
(() => {
  const BODY = "week-body";
  let remembered = null; // what had the focus (and any typing in it) when an answer arrived

  const cellAt = (row, col) => document.querySelector(`#${BODY} .tt-cell-input[data-row="${row}"][data-col="${col}"]`);

  const focusInto = (element) => {
    if (!element) return false;
    element.focus({ preventScroll: false });
    if (element instanceof HTMLInputElement && element.type === "text") element.select();
    return document.activeElement === element;
  };

  document.addEventListener("htmx:beforeSwap", (event) => {
    if (!event.detail.target || event.detail.target.id !== BODY) return;
    const active = document.activeElement;
    remembered = active && active.id
      ? { id: active.id, value: active.value, typed: active instanceof HTMLInputElement && active.value !== active.defaultValue }
      : null;
  });

  document.addEventListener("htmx:afterSettle", (event) => {
    const body = document.getElementById(BODY);
    if (!body || !(event.detail.target === body || event.detail.elt === body || body.contains(event.detail.elt))) return;
    // 0. The person already went on to a field of the new body (between the swap and now): stay there,
    // never pull the focus (and the typing) from under the keyboard.
    const active = document.activeElement;
    if (active && body.contains(active) && active.matches("input, select, textarea")
        && !(remembered && remembered.id === active.id)) return;
    // 1. An error: its field. 2. What the server asks for (a new row's first cell, a form's first field).
    // 3. Whatever the person had moved on to (Tab to the next cell before the answer came).
    const invalid = body.querySelector("[aria-invalid='true']");
    if (invalid && focusInto(invalid)) return;
    const wanted = body.dataset.focus && document.getElementById(body.dataset.focus);
    if (remembered && remembered.id !== body.dataset.focus) {
      const again = document.getElementById(remembered.id);
      if (again && again.closest(`#${BODY}`) && !wanted) {
        if (remembered.typed && again instanceof HTMLInputElement) again.value = remembered.value;
        focusInto(again);
        return;
      }
    }
    if (wanted) focusInto(wanted);
  });

  document.addEventListener("keydown", (event) => {
    const input = event.target;
    if (event.key === "Escape" && input instanceof Element && input.closest(".tt-entry-form")) {
      const cancel = input.closest(".tt-entry-form").querySelector("[data-cancel]");
      if (cancel) { event.preventDefault(); cancel.click(); }
      return;
    }
    if (!(input instanceof HTMLInputElement) || !input.classList.contains("tt-cell-input")) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const row = Number(input.dataset.row);
    const col = Number(input.dataset.col);
    let next = null;
    if (event.key === "ArrowUp") next = cellAt(row - 1, col);
    else if (event.key === "ArrowDown" || (event.key === "Enter" && !event.shiftKey)) next = cellAt(row + 1, col);
    else if (event.key === "Enter" && event.shiftKey) next = cellAt(row - 1, col);
    else if (event.key === "ArrowLeft" && input.selectionStart === 0 && input.selectionEnd === 0) next = cellAt(row, col - 1);
    else if (event.key === "ArrowRight" && input.selectionStart === input.value.length) next = cellAt(row, col + 1);
    else if (event.key === "ArrowLeft" && input.selectionStart === 0 && input.selectionEnd === input.value.length) next = cellAt(row, col - 1);
    else return;
    if (event.key === "Enter") {
      event.preventDefault();
      // The last row: Enter saves where it is (the change event), focus stays.
      if (!next) { input.dispatchEvent(new Event("change", { bubbles: true })); input.defaultValue = input.value; return; }
    }
    if (next) { event.preventDefault(); focusInto(next); }
  });

  // Typing replaces a cell's figure, as in a spreadsheet.
  document.addEventListener("focusin", (event) => {
    const input = event.target;
    if (input instanceof HTMLInputElement && input.classList.contains("tt-cell-input")) input.select();
  });

  // The Undo of a deletion stays for a few seconds (the server honours it for longer).
  const retireUndo = () => {
    document.querySelectorAll("button.tt-undo[data-undo-seconds]:not([data-armed])").forEach((button) => {
      button.dataset.armed = "1";
      window.setTimeout(() => {
        if (document.activeElement === button) return; // never pull it from under the keyboard
        const notice = button.closest("p");
        button.remove();
        if (notice) notice.querySelector("span")?.append(" (no longer undoable here)");
      }, Number(button.dataset.undoSeconds) * 1000);
    });
  };
  document.addEventListener("htmx:afterSettle", retireUndo);
  // A page opened on a form (?new=today from the "n" shortcut elsewhere, ?edit=): its first field.
  // On "load", after the browser has scrolled to the URL's #fragment, which would take the focus back.
  // On a narrow screen the grid scrolls inside its box: today's column is brought into view
  // (on a Thursday nobody wants to swipe past Monday to Wednesday first). The page does not move.
  const showToday = () => {
    const wrap = document.querySelector(`#${BODY} .tt-grid-wrap`);
    const today = wrap && wrap.querySelector("th.tt-today");
    if (!today || wrap.scrollWidth <= wrap.clientWidth) return;
    const sticky = wrap.querySelector("th[scope='col']");
    const left = today.offsetLeft - (sticky ? sticky.offsetWidth : 0);
    wrap.scrollLeft = Math.max(0, left - 8);
  };
  window.addEventListener("load", () => {
    retireUndo();
    showToday();
    const body = document.getElementById(BODY);
    const wanted = body && body.dataset.focus && document.getElementById(body.dataset.focus);
    if (wanted) focusInto(wanted);
  });
})();
