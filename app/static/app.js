// Destructive actions ask first: admin actions carry data-confirm. A submit button's own data-confirm
// wins: a draft's buttons ask their own question, or none (an empty one). Whether a task form's answers
// end the dossier is asked by js/outcome_preview.js, from the server's dry run of the step.
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const message =
    button && button.hasAttribute("data-confirm") ? button.dataset.confirm : event.target.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// A running total while scores are typed in the form builder's preview, which has no task to ask the
// server about; a task page shows the server's own total (js/outcome_preview.js).
function updateScoreTotal() {
  const total = document.querySelector("[data-score-total]");
  if (!total) return;
  let sum = 0;
  document.querySelectorAll("input[data-score]").forEach((input) => {
    const value = parseInt(input.value, 10);
    if (!Number.isNaN(value)) sum += value;
  });
  total.textContent = sum;
}
document.addEventListener("input", (event) => {
  if (event.target.matches("input[data-score]")) updateScoreTotal();
});
document.addEventListener("DOMContentLoaded", updateScoreTotal);

// A long text is not cut at its limit: a browser's maxlength drops the end of a paste without a word.
// A textarea with data-maxlength shows how many characters it holds instead, in red past the limit,
// and the server refuses a longer answer saying by how much. The count is part of the textarea's
// description (read when it is focused); crossing the limit is announced once, not every keystroke.
function showLength(area) {
  let counter = area.nextElementSibling;
  if (!counter || !counter.hasAttribute("data-length-counter")) {
    counter = document.createElement("div");
    counter.className = "form-text text-end";
    counter.id = `${area.id || area.name}-length`;
    counter.setAttribute("data-length-counter", "");
    const status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("data-length-status", "");
    area.after(counter, status);
    const described = area.getAttribute("aria-describedby");
    area.setAttribute("aria-describedby", described ? `${described} ${counter.id}` : counter.id);
  }
  const max = Number(area.dataset.maxlength);
  // Characters as the server counts them: code points of the trimmed text, a line break as one.
  const length = [...area.value.replace(/\r\n/g, "\n").trim()].length;
  const locale = document.documentElement.lang || "vi";
  counter.textContent = `${length.toLocaleString(locale)} / ${max.toLocaleString(locale)}`;
  const over = length > max;
  if (over !== counter.classList.contains("text-danger")) {
    counter.nextElementSibling.textContent = over ? area.dataset.maxlengthMessage || "" : "";
  }
  counter.classList.toggle("text-danger", over);
}
document.addEventListener("input", (event) => {
  if (event.target.matches("textarea[data-maxlength]")) showLength(event.target);
});
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("textarea[data-maxlength]").forEach(showLength);
});

// After a refused submission the list of errors (forms/fields.html error_summary) takes the focus, so it
// is read first; each of its links moves the focus to the input concerned, with the input's label in view.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();
});
document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-error-summary] a[href^='#']");
  if (!link) return;
  const input = document.getElementById(link.hash.slice(1));
  if (!input) return;
  event.preventDefault();
  (input.closest("[data-field]") || input).scrollIntoView({ block: "start" });
  input.focus({ preventScroll: true });
});
