// Destructive admin actions ask first.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
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
