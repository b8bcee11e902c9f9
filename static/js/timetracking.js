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
