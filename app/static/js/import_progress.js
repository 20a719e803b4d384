// The progress of a registry import on its page (templates/registry/import.html): while the background job
// checks the rows, ask the server how far it is and move the bar; once the import has finished (done,
// rejected or failed), reload the page, which then shows the counts or the per-row report. Without this
// script the page shows the state it was drawn in, and reloading it shows the rest.
(function () {
  "use strict";

  const EVERY_MS = 400;
  // An import that stopped (a worker gone) must not keep a forgotten tab polling for ever.
  const MAX_POLLS = 3000;
  const FINISHED = ["done", "rejected", "failed"];

  function setup(panel) {
    const bar = panel.querySelector("[data-progress-bar]");
    const text = panel.querySelector("[data-progress-text]");
    const status = panel.querySelector("[data-import-status]");
    const template = text ? text.textContent.replace(/\d+\/\d+/, "{n}") : "{n}";
    let polls = 0;

    function draw(state) {
      const total = state.total_rows || 0;
      if (bar) {
        bar.max = Math.max(total, 1);
        bar.value = state.processed_rows;
        bar.textContent = `${state.processed_rows}/${total}`;
      }
      if (text) text.textContent = template.replace("{n}", `${state.processed_rows}/${total}`);
      if (status && status.dataset.statusValue !== state.status) {
        status.dataset.statusValue = state.status;
        const label = panel.dataset["label" + state.status.charAt(0).toUpperCase() + state.status.slice(1)];
        if (label) status.textContent = label;
      }
      return FINISHED.includes(state.status);
    }

    function poll() {
      polls += 1;
      fetch(panel.dataset.progressUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : Promise.reject(new Error(String(response.status)))))
        .then((state) => {
          if (draw(state)) window.location.reload();
          else if (polls < MAX_POLLS) window.setTimeout(poll, EVERY_MS);
        })
        .catch(() => {
          if (polls < MAX_POLLS) window.setTimeout(poll, EVERY_MS * 5);
        });
    }

    if (panel.dataset.finished !== "1") window.setTimeout(poll, EVERY_MS);
  }

  document.querySelectorAll("[data-import-progress]").forEach(setup);
})();
