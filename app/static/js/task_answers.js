// No typed answer is lost on a task form (template: dossiers/task.html, which hands this script its
// settings in <script type="application/json" id="task-answers-config">):
//
// - Every change is copied to this tab's sessionStorage, keyed by user and task. When the post cannot be
//   read or must not be trusted (the session ended, the CSRF token is stale, the body is over the cap:
//   app/errors.py), the server sends the user back to the form, and the copy is filled in again.
//   sessionStorage and not localStorage: the copy stays with the tab the answers were typed in and goes
//   when it is closed, so on a shared office computer the next person finds nothing of it.
// - The copy is filled in only over what it was typed over. It remembers the answers the server last had
//   (the page as drawn, or the last autosave); when the page comes back drawn differently (a draft saved
//   or discarded since, a submission shown again), the server's version wins. No clocks are compared.
// - Changes are autosaved as the user's draft a moment after typing stops (POST /tasks/<id>/draft).
// - Each chosen file is checked against the size limits before the form is posted, so a photo too large
//   never costs the answers a refused post; the server still refuses on its own (413).
// - Leaving the page with changes not yet saved (or files chosen, which drafts never keep) asks first.
(function () {
  "use strict";

  const AUTOSAVE_DELAY_MS = 2000;
  const PREFIX = "hoctap.task-answers.";
  // Posting the form's text adds to the files: a multipart body has boundaries and headers per part.
  const BODY_MARGIN_BYTES = 64 * 1024;

  function answers(form) {
    // What the form would post, without files (drafts keep none) and without the CSRF token, which
    // changes with each sign-in and is no answer.
    const body = new URLSearchParams();
    new FormData(form).forEach((value, name) => {
      if (typeof value === "string" && name !== "csrf_token") body.append(name, value);
    });
    return body.toString();
  }

  function read(key) {
    try {
      return JSON.parse(sessionStorage.getItem(key) || "null");
    } catch (error) {
      return null;
    }
  }

  function write(key, value) {
    try {
      sessionStorage.setItem(key, JSON.stringify(value));
    } catch (error) {
      // Storage off or full: autosave and the server's own checks still stand.
    }
  }

  function fill(form, text) {
    const saved = new URLSearchParams(text);
    const seen = {};
    Array.from(form.elements).forEach((element) => {
      const name = element.name;
      if (!name || name === "csrf_token" || element.type === "file" || element.type === "submit") return;
      if (element.tagName === "BUTTON") return;
      const values = saved.getAll(name);
      let changed = false;
      if (element.type === "checkbox" || element.type === "radio") {
        const checked = values.includes(element.value);
        changed = element.checked !== checked;
        element.checked = checked;
      } else if (element.tagName === "SELECT" && element.multiple) {
        Array.from(element.options).forEach((option) => {
          const selected = values.includes(option.value);
          changed = changed || option.selected !== selected;
          option.selected = selected;
        });
      } else {
        // Inputs sharing a name take the saved values in order, as the browser posted them.
        const index = seen[name] || 0;
        seen[name] = index + 1;
        if (index >= values.length) return;
        changed = element.value !== values[index];
        element.value = values[index];
      }
      // Conditional fields, computed values and the outcome preview follow, as if typed.
      if (changed) element.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  function notice(form, text, testId) {
    const box = document.createElement("div");
    box.className = "alert alert-info";
    box.setAttribute("role", "status");
    box.dataset.testid = testId;
    box.textContent = text;
    form.prepend(box);
  }

  function formatSize(bytes) {
    const locale = document.documentElement.lang || "vi";
    const mb = 1024 * 1024;
    if (bytes >= mb) {
      return `${(bytes / mb).toLocaleString(locale, { maximumFractionDigits: 1 })} MB`;
    }
    return `${Math.ceil(bytes / 1024).toLocaleString(locale)} kB`;
  }

  function fillIn(template, values) {
    return template.replace(/\{(\w+)\}/g, (match, name) => (name in values ? values[name] : match));
  }

  function setupSizeChecks(form, config) {
    const inputs = Array.from(form.querySelectorAll("input[type=file]"));
    const messages = config.messages;

    function clear(input) {
      const shown = input.dataset.sizeErrorId && document.getElementById(input.dataset.sizeErrorId);
      if (!shown) return;
      shown.remove();
      input.classList.remove("is-invalid");
      const described = (input.getAttribute("aria-describedby") || "")
        .split(/\s+/)
        .filter((id) => id && id !== input.dataset.sizeErrorId);
      if (described.length) input.setAttribute("aria-describedby", described.join(" "));
      else input.removeAttribute("aria-describedby");
    }

    function show(input, text) {
      clear(input);
      const box = document.createElement("div");
      box.id = `${input.id || input.name}-size-error`;
      box.className = "invalid-feedback d-block";
      box.dataset.testid = "file-size-error";
      box.textContent = text;
      input.insertAdjacentElement("afterend", box);
      input.dataset.sizeErrorId = box.id;
      input.classList.add("is-invalid");
      const described = input.getAttribute("aria-describedby");
      input.setAttribute("aria-describedby", described ? `${described} ${box.id}` : box.id);
    }

    // Shows every problem at once; returns the first input with one, or null.
    function check() {
      let first = null;
      let total = answers(form).length + BODY_MARGIN_BYTES;
      let last = null;
      inputs.forEach((input) => {
        clear(input);
        const files = Array.from(input.files || []);
        const large = files.filter((file) => file.size > config.maxFileBytes);
        files.forEach((file) => {
          total += file.size;
        });
        if (files.length) last = input;
        if (large.length) {
          const text = large
            .map((file) =>
              fillIn(messages.fileTooLarge, {
                name: file.name,
                size: formatSize(file.size),
                max: formatSize(config.maxFileBytes),
              }),
            )
            .join(" ");
          show(input, text);
          first = first || input;
        }
      });
      if (!first && last && total > config.maxRequestBytes) {
        show(
          last,
          fillIn(messages.filesTooLarge, { size: formatSize(total), max: formatSize(config.maxRequestBytes) }),
        );
        first = last;
      }
      return first;
    }

    inputs.forEach((input) => input.addEventListener("change", check));
    // Capturing on the document runs before the form's own submit handlers (outcome_preview.js), so a
    // form that cannot be posted is not asked about its outcome first.
    document.addEventListener(
      "submit",
      (event) => {
        if (event.target !== form) return;
        const bad = check();
        if (!bad) return;
        event.preventDefault();
        event.stopPropagation();
        bad.focus();
      },
      true,
    );
  }

  function setup(form, config) {
    const key = PREFIX + config.key;
    const messages = config.messages;
    const status = document.createElement("p");
    status.className = "form-text";
    status.setAttribute("role", "status");
    status.dataset.testid = "autosave-status";
    const note = form.querySelector("[data-testid=draft-note]");
    if (note) note.before(status);
    else form.append(status);

    // What the server has: the page as drawn, until an autosave says otherwise.
    let saved = answers(form);
    const copy = read(key);
    if (copy && copy.base === saved && copy.answers !== saved) {
      fill(form, copy.answers);
      notice(form, messages.restored, "answers-restored");
    } else if (!copy || copy.base !== saved) {
      write(key, { base: saved, answers: saved });
    }

    let timer = null;
    let saving = false;
    let leaving = false;

    function remember() {
      write(key, { base: saved, answers: answers(form) });
    }

    function autosave() {
      timer = null;
      const current = answers(form);
      if (current === saved) return;
      if (saving) {
        schedule();
        return;
      }
      saving = true;
      const body = new URLSearchParams(current);
      body.append("csrf_token", form.elements.csrf_token.value);
      fetch(config.autosaveUrl, {
        method: "POST",
        body,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then((response) =>
          response
            .json()
            .catch(() => ({}))
            .then((answer) => ({ response, answer })),
        )
        .then(({ response, answer }) => {
          if (response.ok) {
            saved = current;
            remember();
            status.textContent = answer.message;
          } else if (response.status === 401 || response.status === 400) {
            status.textContent = messages.sessionExpired;
          } else {
            const refusal = answer.message || (answer.error && answer.error.message);
            status.textContent = refusal || messages.autosaveFailed;
          }
        })
        .catch(() => {
          status.textContent = messages.autosaveFailed;
        })
        .finally(() => {
          saving = false;
        });
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(autosave, AUTOSAVE_DELAY_MS);
    }

    function changed(event) {
      if (event.target.type === "file") return;
      remember();
      schedule();
    }

    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    // Filled in from the copy: the server does not have these answers yet.
    if (answers(form) !== saved) schedule();

    // Listening on the window, after every handler of the form: a submission held back (a size check,
    // the question whether it ends the dossier) is still one to warn about.
    window.addEventListener("submit", (event) => {
      if (event.target === form && !event.defaultPrevented) {
        leaving = true;
        clearTimeout(timer);
      }
    });
    window.addEventListener("beforeunload", (event) => {
      const files = Array.from(form.querySelectorAll("input[type=file]")).some((input) => input.files.length);
      if (leaving || (answers(form) === saved && !files)) return;
      event.preventDefault();
      // Older browsers show the prompt only when returnValue is set; its text is the browser's own.
      event.returnValue = "";
    });

    setupSizeChecks(form, config);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const element = document.getElementById("task-answers-config");
    const form = document.getElementById("task-form");
    if (element && form) setup(form, JSON.parse(element.textContent));
  });
})();
