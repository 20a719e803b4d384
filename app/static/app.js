// Destructive actions ask first: admin actions carry data-confirm; a task form asks when the chosen
// decision ends the dossier (the radio's data-confirm). A submit button's own data-confirm wins: a
// draft's buttons ask their own question, or none (an empty one), whatever decision is chosen.
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const chosen = event.target.querySelector("input[type=radio][data-confirm]:checked");
  const message =
    button && button.hasAttribute("data-confirm")
      ? button.dataset.confirm
      : event.target.dataset.confirm || (chosen && chosen.dataset.confirm);
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// A running total while scores are typed; the server recomputes it on submit.
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
