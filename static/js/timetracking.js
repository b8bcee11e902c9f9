// Time tracking pages: a ticking clock for the running timer. Loaded as a file (strict CSP).
(() => {
  const pad = (number) => String(number).padStart(2, "0");
  const tick = () => {
    document.querySelectorAll("[data-tt-elapsed]").forEach((clock) => {
      if (!clock.dataset.ttBase) {
        clock.dataset.ttBase = String(Date.now() - Number(clock.dataset.ttElapsed) * 1000);
      }
      const seconds = Math.max(0, Math.floor((Date.now() - Number(clock.dataset.ttBase)) / 1000));
      clock.textContent = `${Math.floor(seconds / 3600)}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
    });
  };
  if (!window.timetrackingClock) {
    window.timetrackingClock = window.setInterval(tick, 1000);
    document.addEventListener("DOMContentLoaded", tick);
  }
})();

// Task pickers: once a project is chosen, offer only its tasks (the optgroup carries the project's label).
document.addEventListener("change", (event) => {
  const project = event.target;
  if (!(project instanceof HTMLSelectElement) || !/(^|-)project$/.test(project.name)) return;
  const task = project.form && project.form.querySelector("select[name$='task']");
  if (!task) return;
  const label = project.value ? project.options[project.selectedIndex].text : null;
  task.querySelectorAll("optgroup").forEach((group) => {
    group.hidden = label !== null && group.label !== label;
  });
  const chosen = task.options[task.selectedIndex];
  if (chosen && chosen.parentElement.hidden) task.value = "";
});
