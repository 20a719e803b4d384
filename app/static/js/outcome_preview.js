// Where a task form's answers lead, while they are typed, and a confirmation before a submission ends the
// dossier (templates: dossiers/task.html, dossiers/_outcome.html).
//
// Nothing is computed here. The server answers POST /tasks/<id>/preview with the same validation, scoring
// and a dry run of the procedure step that a submission gets (app/services/dossiers.py preview_step), so the
// running total, each rule's verdict and "Hồ sơ sẽ KHÔNG được công nhận vì …" cannot disagree with what the
// submission then does; a second implementation of the rules in JavaScript could. The server also asks for
// confirmation itself (a submission without confirm_ending=1 that would end the dossier is shown again), so
// the page is safe without this script; asking here first keeps the files chosen in the form, which a page
// coming back from the server cannot keep.
(function () {
  "use strict";

  const DELAY_MS = 300;

  function setup(form) {
    const panel = form.querySelector("[data-outcome-panel]");
    const status = form.querySelector("[data-outcome-status]");
    const box = form.querySelector("[data-ending-confirm]");
    const sentence = box.querySelector("[data-ending-sentence]");
    // The answers the panel describes, and whether they end the dossier: at first, what the server drew.
    let shown = { key: answers(form), ending: sentence.textContent.trim() !== "" };
    let asked = 0;
    let timer = null;
    // Set just before re-posting a submission this script held back, so it goes through unasked.
    let release = false;

    function request() {
      const key = answers(form);
      if (key === shown.key) return Promise.resolve(shown);
      const number = ++asked;
      return fetch(form.dataset.previewUrl, {
        method: "POST",
        body: key,
        headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
        credentials: "same-origin",
      })
        .then((response) => (response.ok ? response.json() : Promise.reject(new Error(String(response.status)))))
        .then((answer) => {
          const state = { key, ending: answer.ending !== null };
          // An older answer arriving late must not replace a newer one.
          if (number === asked) {
            shown = state;
            draw(answer);
          }
          return state;
        });
    }

    function draw(answer) {
      panel.innerHTML = answer.html;
      const text = answer.ending ? answer.ending.sentence : "";
      sentence.textContent = text;
      if (!text) box.hidden = true;
      // The live region is kept and only its content changes, so screen readers announce the change.
      const current = status.textContent.trim();
      if (current !== text) {
        status.replaceChildren();
        if (text) {
          const paragraph = document.createElement("p");
          paragraph.className = "alert alert-danger";
          paragraph.textContent = text;
          status.appendChild(paragraph);
        }
      }
    }

    function ask() {
      box.hidden = false;
      box.focus();
    }

    function schedule() {
      clearTimeout(timer);
      // A failed preview changes nothing on the page: the server still checks on submit.
      timer = setTimeout(() => request().catch(() => {}), DELAY_MS);
    }

    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);

    form.addEventListener("submit", (event) => {
      const submitter = event.submitter;
      // Drafts decide nothing; the confirming button is the answer to the question.
      if (submitter && (submitter.name === "action" || submitter.name === "confirm_ending")) return;
      if (release) {
        release = false;
        return;
      }
      const key = answers(form);
      if (key === shown.key && !shown.ending) return;
      event.preventDefault();
      if (key === shown.key) {
        ask();
        return;
      }
      clearTimeout(timer);
      request()
        .then((state) => (state.ending ? ask() : post(submitter)))
        .catch(() => post(submitter));
    });

    function post(submitter) {
      release = true;
      form.requestSubmit(submitter || undefined);
    }

    box.querySelector("[data-ending-cancel]").addEventListener("click", (event) => {
      event.preventDefault();
      box.hidden = true;
      const first = form.querySelector("input:not([type=hidden]):not([disabled]), select, textarea");
      if (first) first.focus();
    });

    // The server asked (a submission came back to be confirmed): take the official to the question.
    if (!box.hidden) box.focus();
  }

  // What the form would post, as the preview's body: files are left out (they decide nothing and would
  // be sent again on every change), and so are disabled inputs, as on a real submission.
  function answers(form) {
    const body = new URLSearchParams();
    new FormData(form).forEach((value, name) => {
      if (typeof value === "string") body.append(name, value);
    });
    return body.toString();
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form[data-preview-url]").forEach(setup);
  });
})();
