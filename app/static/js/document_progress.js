// The progress of a decision's documents on its page (templates/decisions/_documents.html): while the
// background job makes the certificates, ask the server how far it is and move the bar; once the decision
// PDF or all certificates exist, show their links. The page works without this script (it shows what existed
// when it was drawn); it only saves reloading.
(function () {
  "use strict";

  const EVERY_MS = 2000;
  // A job that stopped (an incident) must not keep a forgotten tab polling for ever.
  const MAX_POLLS = 900;

  function setup(panel) {
    const bar = panel.querySelector("[data-progress-bar]");
    const text = panel.querySelector("[data-progress-text]");
    const template = text.textContent.replace(/\d+\/\d+/, "{n}");
    let polls = 0;

    function reveal(shown, hidden) {
      panel.querySelectorAll(shown).forEach((el) => (el.hidden = false));
      panel.querySelectorAll(hidden).forEach((el) => (el.hidden = true));
    }

    function draw(state) {
      bar.max = Math.max(state.total, 1);
      bar.value = state.done;
      bar.textContent = `${state.done}/${state.total}`;
      text.textContent = template.replace("{n}", `${state.done}/${state.total}`);
      if (state.document) reveal("[data-when-document]", "[data-until-document]");
      const complete = state.total > 0 && state.done >= state.total;
      if (complete) reveal("[data-when-complete]", "[data-until-complete]");
      return complete && state.document;
    }

    function poll() {
      polls += 1;
      fetch(panel.dataset.progressUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : Promise.reject(new Error(String(response.status)))))
        .then((state) => {
          if (!draw(state) && polls < MAX_POLLS) window.setTimeout(poll, EVERY_MS);
        })
        .catch(() => {
          // A signed-out session or a server restart: try a while longer, more slowly.
          if (polls < MAX_POLLS) window.setTimeout(poll, EVERY_MS * 5);
        });
    }

    const state = {
      done: Number(panel.dataset.done),
      total: Number(panel.dataset.total),
      document: panel.dataset.document === "1",
    };
    if (!(state.total > 0 && state.done >= state.total && state.document)) window.setTimeout(poll, EVERY_MS);
  }

  document.querySelectorAll("[data-document-progress]").forEach(setup);
})();
