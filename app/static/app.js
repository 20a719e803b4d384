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
// and the server refuses a longer answer saying by how much.
function showLength(area) {
  let counter = area.nextElementSibling;
  if (!counter || !counter.hasAttribute("data-length-counter")) {
    counter = document.createElement("div");
    counter.className = "form-text text-end";
    counter.setAttribute("data-length-counter", "");
    area.after(counter);
  }
  const max = Number(area.dataset.maxlength);
  // Characters as the server counts them: code points of the trimmed text, a line break as one.
  const length = [...area.value.replace(/\r\n/g, "\n").trim()].length;
  const locale = document.documentElement.lang || "vi";
  counter.textContent = `${length.toLocaleString(locale)} / ${max.toLocaleString(locale)}`;
  counter.classList.toggle("text-danger", length > max);
}
document.addEventListener("input", (event) => {
  if (event.target.matches("textarea[data-maxlength]")) showLength(event.target);
});
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("textarea[data-maxlength]").forEach(showLength);
});
