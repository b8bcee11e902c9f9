// The header timer (templates/timetracking/_header_timer.html), on every signed-in page:
// - the running clock ticks, and the tab title shows it;
// - the description box offers the user's recent entries (or, after "@", projects) as a listbox:
//   arrows move, Enter or a click picks (project, task and tags in one go), Escape closes;
// - after Start/Stop/Switch the focus goes to the bar's next control, not to the page body;
// - other tabs follow: a change is broadcast to the user's other tabs of this browser at once,
//   and every visible tab asks the server for the timer's state every few seconds (another device).
// A file, not an inline script: the CSP allows none.
(() => {
  const POLL_MS = 5000;
  const baseTitle = document.title;
  const channel = "BroadcastChannel" in window ? new BroadcastChannel("timetrack-timer") : null;
  const pad = (number) => String(number).padStart(2, "0");
  const clockText = (seconds) => `${Math.floor(seconds / 3600)}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
  const bar = () => document.getElementById("header-timer");

  // --- The clock and the tab title ----------------------------------------------------------
  const tick = () => {
    let title = null;
    document.querySelectorAll("[data-tt-elapsed]").forEach((clock) => {
      if (!clock.dataset.ttBase) {
        clock.dataset.ttBase = String(Date.now() - Number(clock.dataset.ttElapsed) * 1000);
      }
      const seconds = Math.max(0, Math.floor((Date.now() - Number(clock.dataset.ttBase)) / 1000));
      clock.textContent = clockText(seconds);
      if (clock.closest("#header-timer")) title = `▶ ${clock.textContent} ${clock.dataset.ttTitle || ""}`.trim();
    });
    document.title = title ? `${title} · ${baseTitle}` : baseTitle;
  };
  window.setInterval(tick, 1000);

  // --- Keeping in step with the user's other tabs -------------------------------------------
  let refreshing = false;
  const typing = () => {
    const input = document.getElementById("timer-description");
    return input && document.activeElement === input && input.value !== "";
  };
  const refreshBar = () => {
    const current = bar();
    if (!current || refreshing || typing() || !window.htmx) return;
    refreshing = true;
    window.htmx
      .ajax("GET", current.dataset.barUrl, { target: "#header-timer", swap: "outerHTML" })
      .finally(() => {
        refreshing = false;
        document.body.dispatchEvent(new CustomEvent("timer-refreshed", { bubbles: true }));
      });
  };
  const checkState = () => {
    const current = bar();
    if (!current || document.visibilityState !== "visible") return;
    fetch(current.dataset.stateUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : null))
      .then((state) => {
        if (state && String(state.running ?? "") !== (bar()?.dataset.running ?? "")) refreshBar();
      })
      .catch(() => {});
  };
  window.setInterval(checkState, POLL_MS);
  document.addEventListener("visibilitychange", checkState);
  if (channel) channel.addEventListener("message", refreshBar);
  // views/timer.py sends HX-Trigger: timer-changed after every change made here.
  document.body.addEventListener("timer-changed", () => channel?.postMessage("changed"));

  // --- Focus after a change -----------------------------------------------------------------
  // After settling: htmx itself puts the focus back on an element of the same id once it has
  // swapped, which here would be the hidden box of a closed "Switch".
  document.body.addEventListener("htmx:afterSettle", (event) => {
    const swapped = document.getElementById("header-timer");
    const target = event.detail.target;
    if (!swapped || !(target instanceof Element) || !(target === swapped || target.id === "header-timer")) return;
    tick();
    // Only after the person's own action (a post), not after another tab's refresh.
    if (event.detail.requestConfig?.verb !== "post") return;
    const next = swapped.querySelector("[data-autofocus]");
    if (next) next.focus();
  });

  // --- Suggestions: a combobox over the description box -------------------------------------
  const options = (list) => Array.from(list.querySelectorAll("[role=option]"));
  const close = (input, list) => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    options(list).forEach((option) => option.setAttribute("aria-selected", "false"));
  };
  const showPicked = (form) => {
    const picked = form.querySelector("[data-timer-picked]");
    const project = form.querySelector("[data-timer-field=project]").value;
    if (!picked) return;
    picked.hidden = !project;
    const label = picked.querySelector("[data-timer-picked-label]");
    if (label) label.textContent = picked.dataset.label || "";
  };
  const pick = (input, option) => {
    const form = input.form;
    const set = (name, value) => {
      form.querySelector(`[data-timer-field=${name}]`).value = value || "";
    };
    set("project", option.dataset.project);
    set("task", option.dataset.task);
    if (option.dataset.stripToken) {
      input.value = input.value.replace(/(^|\s)@\S*$/, "").trimEnd();
    } else {
      set("tags", option.dataset.tags);
      input.value = option.dataset.description || "";
    }
    form.querySelector("[data-timer-picked]").dataset.label = option.dataset.label || "";
    showPicked(form);
    close(input, document.getElementById("timer-suggestions"));
    input.focus();
  };
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const list = event.detail.target;
    if (!(list instanceof Element) || list.id !== "timer-suggestions") return;
    const input = document.getElementById("timer-description");
    const any = options(list).length > 0;
    list.hidden = !any || document.activeElement !== input;
    input.setAttribute("aria-expanded", String(!list.hidden));
  });
  document.addEventListener("keydown", (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || input.id !== "timer-description") return;
    const list = document.getElementById("timer-suggestions");
    const all = options(list);
    const active = all.findIndex((option) => option.getAttribute("aria-selected") === "true");
    const move = (index) => {
      all.forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
      input.setAttribute("aria-activedescendant", all[index].id);
      all[index].scrollIntoView({ block: "nearest" });
    };
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && all.length) {
      event.preventDefault();
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      const step = event.key === "ArrowDown" ? 1 : -1;
      move(active < 0 ? (step > 0 ? 0 : all.length - 1) : (active + step + all.length) % all.length);
    } else if (event.key === "Enter" && !list.hidden && active >= 0) {
      event.preventDefault();
      pick(input, all[active]);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      event.stopPropagation();
      close(input, list);
    }
  });
  // mousedown, not click: a click would first blur the box and close the list.
  document.addEventListener("mousedown", (event) => {
    const option = event.target instanceof Element && event.target.closest("#timer-suggestions [role=option]");
    if (!option) return;
    event.preventDefault();
    pick(document.getElementById("timer-description"), option);
  });
  document.addEventListener("focusout", (event) => {
    if (event.target instanceof Element && event.target.id === "timer-description") {
      close(event.target, document.getElementById("timer-suggestions"));
    }
  });
  document.addEventListener("click", (event) => {
    const clear = event.target instanceof Element && event.target.closest("[data-timer-unpick]");
    if (!clear) return;
    const form = clear.closest("form");
    form.querySelectorAll("[data-timer-field]").forEach((field) => {
      field.value = "";
    });
    showPicked(form);
    document.getElementById("timer-description").focus();
  });

  // The s shortcut (static/js/app.js) asks for this: stop a running timer, or go to the box.
  window.timetrackTimer = {
    toggle() {
      const current = bar();
      if (!current) return;
      const stop = current.querySelector(".tt-bar-stop button");
      if (stop) {
        stop.click();
        return;
      }
      const input = current.querySelector("#timer-description");
      if (input) {
        input.closest("details")?.setAttribute("open", "");
        input.focus();
      }
    },
  };

  document.addEventListener("DOMContentLoaded", tick);
})();
