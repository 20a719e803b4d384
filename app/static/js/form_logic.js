// Conditional fields, computed values and repeating groups on task forms (docs/forms.md).
//
// The server decides: it evaluates the same JsonLogic with forms/expressions.py, drops the values of
// hidden fields and recomputes computed ones. This script only shows people what the server will do:
// it hides (and disables, so they are not posted) fields whose visible_if is false, marks fields whose
// required_if holds, fills in computed values, and adds and removes rows of repeating groups. The
// templates (app/templates/forms/fields.html) describe each field with data- attributes; nothing here
// is inline, so a strict Content-Security-Policy can forbid inline scripts.
(function () {
  "use strict";

  // The same normalisation as forms.expressions.evaluate: what JSON cannot carry reads as null.
  function normalise(value) {
    if (typeof value === "number") return Number.isFinite(value) ? value : null;
    if (Array.isArray(value)) return value.map(normalise);
    return value === undefined ? null : value;
  }

  function evaluate(logic, data) {
    return normalise(window.jsonLogic.apply(logic, data));
  }

  function holds(logic, data) {
    return logic === null || logic === undefined || window.jsonLogic.truthy(evaluate(logic, data));
  }

  function parseJSON(element, name) {
    const text = element.getAttribute(name);
    return text === null ? null : JSON.parse(text);
  }

  // -- reading values as the server parses them (forms/fields/*.py) --------------------------------

  const INTEGER = /^[+-]?\d+$/;
  const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

  function inputs(element) {
    return Array.from(element.querySelectorAll("input, select, textarea")).filter(
      (input) => input.name && input.closest("[data-field]") === element,
    );
  }

  function text(element) {
    const input = inputs(element).find((i) => (i.type !== "radio" && i.type !== "checkbox") || i.checked);
    const value = input ? input.value.trim() : "";
    return value === "" ? null : value;
  }

  function checked(element) {
    const values = inputs(element)
      .filter((i) => i.type === "checkbox" && i.checked)
      .map((i) => i.value.trim())
      .filter((v) => v !== "");
    return Array.from(new Set(values));
  }

  const READERS = {
    string: text,
    integer(element) {
      const value = text(element);
      return value !== null && INTEGER.test(value) ? parseInt(value, 10) : null;
    },
    number(element) {
      let value = (text(element) || "").replace(/ /g, "");
      // Vietnamese writes 7,5 for 7.5.
      if (value.split(",").length === 2 && !value.includes(".")) value = value.replace(",", ".");
      return DECIMAL.test(value) ? parseFloat(value) : null;
    },
    boolean(element) {
      const value = text(element);
      return value === "yes" ? true : value === "no" ? false : null;
    },
    strings(element) {
      const values = checked(element);
      return values.length ? values : null;
    },
    ids(element) {
      const values = checked(element);
      return values.length && values.every((v) => INTEGER.test(v)) ? values.map((v) => parseInt(v, 10)) : null;
    },
    // Before the pass, like ComputedField: the server ignores anything posted for it.
    computed: () => null,
    group(element) {
      return rowsOf(element).map((row) => {
        const values = {};
        cellsOf(row).forEach((cell) => {
          const name = cell.dataset.field.split("-").slice(2).join("-");
          values[name] = read(cell);
        });
        return values;
      });
    },
  };

  function read(element) {
    const reader = READERS[element.dataset.kind];
    return reader ? reader(element) : null;
  }

  function rowsOf(group) {
    return Array.from(group.querySelectorAll("[data-row]")).filter((row) => row.closest("[data-field]") === group);
  }

  function cellsOf(row) {
    return Array.from(row.querySelectorAll("[data-field]"));
  }

  function topFields(form) {
    return Array.from(form.querySelectorAll("[data-field]")).filter((element) => !element.closest("[data-row]"));
  }

  // -- the pass: the same order and rules as DefinedForm.apply_logic ------------------------------

  function settle(form) {
    const fields = topFields(form);
    const data = {};
    fields.forEach((element) => {
      if (element.dataset.kind !== "none") data[element.dataset.field] = read(element);
    });
    fields.forEach((element) => {
      const name = element.dataset.field;
      const visible = holds(parseJSON(element, "data-visible-if"), data);
      show(element, visible);
      if (element.dataset.kind === "none") return;
      if (!visible) {
        data[name] = element.dataset.kind === "group" ? [] : null;
      } else if (element.dataset.kind === "computed") {
        data[name] = evaluate(parseJSON(element, "data-expression"), data);
        element.querySelector("[data-computed-value]").textContent = shown(data[name]);
      }
    });
    fields.forEach((element) => {
      const mark = element.querySelector("[data-required-mark]");
      if (mark) mark.hidden = !holds(parseJSON(element, "data-required-if"), data);
      if (element.dataset.kind === "group") updateRowButtons(element);
    });
    return data;
  }

  function show(element, visible) {
    element.hidden = !visible;
    // Disabled inputs are not posted. The server drops a hidden field's value anyway.
    element.querySelectorAll("input, select, textarea, button").forEach((control) => {
      control.disabled = !visible;
    });
  }

  function shown(value) {
    if (value === null) return "—";
    if (typeof value === "number" && document.documentElement.lang.startsWith("vi")) {
      return String(value).replace(".", ",");
    }
    return String(value);
  }

  // -- repeating groups ---------------------------------------------------------------------------

  function updateRowButtons(group) {
    if (group.hidden) return;
    const count = rowsOf(group).length;
    const min = parseInt(group.dataset.minRows || "0", 10);
    const max = parseInt(group.dataset.maxRows || "", 10);
    group.querySelector("[data-add-row]").disabled = Number.isFinite(max) && count >= max;
    rowsOf(group).forEach((row) => {
      row.querySelector("[data-remove-row]").disabled = count <= min;
    });
  }

  function addRow(group) {
    // A fresh index, never one in use: the server reads rows in index order, whatever the gaps.
    let next = 0;
    group.querySelectorAll("[data-rows] [name]").forEach((input) => {
      const index = parseInt(input.name.split("-")[1], 10);
      if (index >= next) next = index + 1;
    });
    const row = group.querySelector("template[data-row-template]").content.firstElementChild.cloneNode(true);
    row.querySelectorAll("[name], [id], [for], [data-field]").forEach((element) => {
      ["name", "id", "for", "data-field"].forEach((attribute) => {
        const value = element.getAttribute(attribute);
        if (value !== null) element.setAttribute(attribute, value.replaceAll("__index__", String(next)));
      });
    });
    group.querySelector("[data-rows]").appendChild(row);
    const first = row.querySelector("input, select, textarea");
    if (first) first.focus();
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-add-row], [data-remove-row]");
    if (!button) return;
    const group = button.closest("[data-kind=group]");
    if (button.matches("[data-add-row]")) addRow(group);
    else button.closest("[data-row]").remove();
    settle(group.closest("form"));
  });

  function settleFor(event) {
    const form = event.target.closest && event.target.closest("form");
    if (form && form.querySelector("[data-field]")) settle(form);
  }
  document.addEventListener("input", settleFor);
  document.addEventListener("change", settleFor);
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form").forEach((form) => {
      if (form.querySelector("[data-field]")) settle(form);
    });
  });

  // For tests and the form builder's preview.
  window.FormLogic = { evaluate, holds, settle };
})();
