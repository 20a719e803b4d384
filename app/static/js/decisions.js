// Candidates page: "select all on this page" ticks every dossier checkbox of the table; "all matching"
// sends the filters instead of ids, so the page checkboxes are then left as they are.
document.querySelectorAll("[data-select-all]").forEach(function (toggle) {
  var name = toggle.getAttribute("data-select-all");
  toggle.addEventListener("change", function () {
    toggle.form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
      box.checked = toggle.checked;
    });
  });
});
