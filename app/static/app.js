// Destructive actions ask first: admin actions carry data-confirm; a task form asks when the chosen
// decision ends the dossier (the radio's data-confirm).
document.addEventListener("submit", (event) => {
  const chosen = event.target.querySelector("input[type=radio][data-confirm]:checked");
  const message = event.target.dataset.confirm || (chosen && chosen.dataset.confirm);
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
