// Unit pickers: an input marked data-unit-picker="<search url>" lists the units whose name or code holds
// what is typed (the server folds case and diacritics, so "an hoa" finds "Phường An Hòa"); choosing one
// puts its code in the input. A <datalist> would not do: the browser filters its options again by its
// own rule, which keeps diacritics, and hides the units the server found.
(function () {
  "use strict";

  const DELAY_MS = 200;

  function setUp(input) {
    const list = document.getElementById(input.getAttribute("aria-controls"));
    const status = input.parentElement.querySelector("[data-unit-status]");
    let timer = null;
    let asked = 0;

    function close() {
      list.hidden = true;
      list.replaceChildren();
      input.setAttribute("aria-expanded", "false");
    }

    function choose(unit) {
      input.value = unit.code;
      close();
      input.focus();
    }

    function show(units) {
      list.replaceChildren(
        ...units.map((unit) => {
          const button = document.createElement("button");
          button.type = "button";
          button.className = "list-group-item list-group-item-action small";
          button.dataset.code = unit.code;
          button.textContent = `${unit.place} (${unit.code})`;
          button.addEventListener("click", () => choose(unit));
          return button;
        })
      );
      list.hidden = units.length === 0;
      input.setAttribute("aria-expanded", String(units.length > 0));
      if (status) status.textContent = status.dataset.template.replace("__N__", String(units.length));
    }

    async function search() {
      const query = input.value.trim();
      if (!query) return close();
      const mine = ++asked;
      const url = new URL(input.dataset.unitPicker, window.location.href);
      url.searchParams.set("q", query);
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" } });
        if (!response.ok || mine !== asked) return;
        show((await response.json()).units);
      } catch {
        // Offline or signed out: the typed name is still sent, and the server resolves it if it can.
      }
    }

    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(search, DELAY_MS);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") close();
      if (event.key === "ArrowDown" && !list.hidden) {
        event.preventDefault();
        list.querySelector("button")?.focus();
      }
    });
    list.addEventListener("keydown", (event) => {
      const current = document.activeElement;
      if (event.key === "Escape") {
        close();
        input.focus();
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const next = event.key === "ArrowDown" ? current.nextElementSibling : current.previousElementSibling;
        (next || input).focus();
      }
    });
  }

  document.querySelectorAll("input[data-unit-picker]").forEach(setUp);
})();
