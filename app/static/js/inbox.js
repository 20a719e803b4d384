// The inbox's selection: "select all on this page", the count said aloud (an aria-live region), and
// the bulk buttons enabled only when something is selected. Without this script the page still works:
// the server answers an empty selection with a message.
(function () {
  "use strict";

  function setUp(form) {
    const all = form.querySelector("[data-select-all]");
    const count = form.querySelector("[data-selected-count]");
    const rows = () => Array.from(form.querySelectorAll("[data-select-row]:not(:disabled)"));

    function update() {
      const boxes = rows();
      const selected = boxes.filter((box) => box.checked).length;
      count.textContent = selected ? count.dataset.some.replace("{n}", String(selected)) : count.dataset.none;
      if (all) {
        all.checked = boxes.length > 0 && selected === boxes.length;
        all.indeterminate = selected > 0 && selected < boxes.length;
        all.disabled = boxes.length === 0;
      }
      form.querySelectorAll("[data-needs-selection]").forEach((button) => {
        button.disabled = selected === 0;
      });
    }

    form.addEventListener("change", (event) => {
      if (event.target === all) {
        rows().forEach((box) => {
          box.checked = all.checked;
        });
      }
      if (event.target === all || event.target.matches("[data-select-row]")) update();
    });
    update();
  }

  document.querySelectorAll("form[data-inbox-selection]").forEach(setUp);
})();
