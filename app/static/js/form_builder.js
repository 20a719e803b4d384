// The form builder: edits a form's draft (a JSON definition, docs/forms.md) with inputs generated from
// the JSON Schema of each field type, so a type added in forms/fields/ gets its inputs here with no code.
//
// Everything comes from the #builder-data JSON block and no code sits in the page. The server has the
// last word on everything: it saves the draft and answers with its problems by path (fields[3].max),
// which are shown next to the input at that path; it draws the preview with the task page's macros and
// scores it with the engine a submitted step uses.
(() => {
  "use strict";

  const data = JSON.parse(document.getElementById("builder-data").textContent);
  const text = data.messages;
  const defs = data.schema.$defs;
  const draft = structuredClone(data.definition);
  if (!Array.isArray(draft.fields)) draft.fields = [];

  // Which field cards are expanded, by the field object itself, so reordering keeps them open.
  const openFields = new WeakSet();
  // The values a condition can test; a condition on another kind of field is kept but not editable.
  const CONDITIONAL = ["choice", "multichoice", "yesno"];
  const PREVIEW_DELAY_MS = 600;
  let problems = [];
  let dirty = false;
  let previewTimer = null;
  let previewSequence = 0;

  const $ = (id) => document.getElementById(id);
  const fmt = (template, values) => template.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));
  const refName = (schema) => (schema && schema.$ref ? schema.$ref.split("/").pop() : null);
  const inputId = (path, suffix = "") => `b-${path.replace(/[^A-Za-z0-9]+/g, "-")}${suffix}`;
  const propertyLabel = (key) => data.property_labels[key] || key;

  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "checked" || key === "selected" || key === "value") node[key] = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child !== undefined && child !== null && child !== false) {
        node.append(child instanceof Node ? child : document.createTextNode(String(child)));
      }
    }
    return node;
  }

  const labelText = (value) => (typeof value === "string" ? value : (value && value.vi) || "");

  // -------------------------------------------------------------------------------- state changes

  function changed({ rerender = false } = {}) {
    dirty = true;
    $("save").disabled = false;
    $("publish").disabled = false;
    setStatus(text.unsaved, "text-muted");
    if (rerender) render();
    else updateTotals();
    schedulePreview();
  }

  function uniqueName(base) {
    const taken = new Set(draft.fields.map((f) => f.name));
    const stem = base.replace(/_\d+$/, "");
    if (!taken.has(base)) return base;
    let n = 2;
    while (taken.has(`${stem}_${n}`)) n += 1;
    return `${stem}_${n}`;
  }

  function newField(type) {
    const schema = defs[`field_${type}`] || { properties: {}, required: [] };
    const typeLabel = (data.types.find((t) => t.value === type) || { label: type }).label;
    const field = { name: uniqueName(type === "heading" ? "muc" : type), type, label: { vi: typeLabel } };
    for (const key of schema.required || []) {
      if (key in field) continue;
      const ref = refName(schema.properties[key]);
      if (ref === "choices") field.choices = [{ value: "a", label: { vi: "A" } }];
      else if (ref === "criterion_ref") field.criterion = (criteria()[0] || {}).key || "";
      else if (key === "max_points") field.max_points = 10;
      else if (ref === "positive_integer") field[key] = 1;
    }
    return field;
  }

  function addField(type) {
    const field = newField(type);
    draft.fields.push(field);
    openFields.add(field);
    changed({ rerender: true });
    const card = $("field-list").lastElementChild;
    if (card) {
      card.scrollIntoView({ block: "nearest" });
      card.querySelector("input")?.focus();
    }
  }

  function move(from, to) {
    if (to < 0 || to >= draft.fields.length || from === to) return;
    const [field] = draft.fields.splice(from, 1);
    draft.fields.splice(to, 0, field);
    changed({ rerender: true });
  }

  function duplicate(index) {
    const copy = structuredClone(draft.fields[index]);
    copy.name = uniqueName(`${copy.name}_2`);
    draft.fields.splice(index + 1, 0, copy);
    openFields.add(copy);
    changed({ rerender: true });
  }

  function remove(index) {
    if (!window.confirm(fmt(text.confirm_remove, { name: draft.fields[index].name }))) return;
    draft.fields.splice(index, 1);
    changed({ rerender: true });
  }

  const criteria = () => (draft.scoring && Array.isArray(draft.scoring.criteria) ? draft.scoring.criteria : []);

  // ------------------------------------------------------------------------ inputs from the schema

  // A label-like value: Vietnamese and English side by side, stored as {"vi", "en"} (en only when typed).
  function labelInput(owner, key, path, caption) {
    const value = owner[key];
    const current = typeof value === "string" ? { vi: value } : value || {};
    const update = () => {
      const next = { ...(typeof owner[key] === "object" ? owner[key] : {}), vi: viInput.value };
      if (enInput.value.trim()) next.en = enInput.value;
      else delete next.en;
      if (!next.vi.trim() && !next.en) delete owner[key];
      else owner[key] = next;
      changed();
    };
    const viInput = h("input", { class: "form-control form-control-sm", id: inputId(path, "-vi"), value: current.vi || "", oninput: update, "data-lang": "vi" });
    const enInput = h("input", { class: "form-control form-control-sm", id: inputId(path, "-en"), value: current.en || "", oninput: update, "data-lang": "en" });
    return h("div", { class: "col-12", "data-path": path },
      h("div", { class: "form-label mb-1" }, caption),
      h("div", { class: "row g-1" },
        h("div", { class: "col-sm-6" },
          h("label", { class: "visually-hidden", for: viInput.id }, `${caption} (${text.label_vi})`),
          h("div", { class: "input-group input-group-sm" }, h("span", { class: "input-group-text", "aria-hidden": "true" }, "vi"), viInput)),
        h("div", { class: "col-sm-6" },
          h("label", { class: "visually-hidden", for: enInput.id }, `${caption} (${text.label_en})`),
          h("div", { class: "input-group input-group-sm" }, h("span", { class: "input-group-text", "aria-hidden": "true" }, "en"), enInput))));
  }

  function checkboxInput(owner, key, path, caption) {
    const input = h("input", { class: "form-check-input", type: "checkbox", id: inputId(path), checked: owner[key] === true,
      onchange: () => { if (input.checked) owner[key] = true; else delete owner[key]; changed(); } });
    return h("div", { class: "col-sm-6 col-md-4 d-flex align-items-end", "data-path": path },
      h("div", { class: "form-check" }, input, h("label", { class: "form-check-label", for: input.id }, caption)));
  }

  function valueInput(owner, key, path, caption, kind, { rerender = false, min, max, step } = {}) {
    const value = owner[key];
    const shown = value === undefined || value === null ? "" : Array.isArray(value) ? value.join(", ") : String(value);
    const attrs = { class: "form-control form-control-sm", id: inputId(path), value: shown };
    if (kind === "integer" || kind === "number") Object.assign(attrs, { type: "number", inputmode: kind === "integer" ? "numeric" : "decimal", step: step || (kind === "integer" ? "1" : "any"), min, max });
    if (kind === "date") attrs.type = "date";
    const input = h("input", attrs);
    const read = () => {
      const raw = input.value.trim();
      if (raw === "") return undefined;
      if (kind === "integer") return /^-?\d+$/.test(raw) ? Number(raw) : raw;
      if (kind === "number") return Number.isFinite(Number(raw)) ? Number(raw) : raw;
      if (kind === "list") return raw.split(",").map((s) => s.trim()).filter(Boolean);
      if (kind === "path-list") {
        const paths = raw.split(",").map((s) => s.trim()).filter(Boolean);
        return paths.length === 1 ? paths[0] : paths;
      }
      return input.value;
    };
    input.addEventListener(rerender ? "change" : "input", () => {
      const next = read();
      if (next === undefined) delete owner[key];
      else owner[key] = next;
      changed({ rerender });
    });
    const hint = kind === "list" || kind === "path-list" ? h("div", { class: "form-text" }, text.list_hint) : null;
    return h("div", { class: "col-sm-6 col-md-4", "data-path": path },
      h("label", { class: "form-label mb-1", for: input.id }, caption), input, hint);
  }

  // Anything the builder has no dedicated input for (a scoring rule, knock-outs, a legal basis) is
  // edited as JSON, so no part of a definition is out of reach or silently dropped.
  function jsonInput(owner, key, path, caption) {
    const area = h("textarea", { class: "form-control form-control-sm font-monospace", id: inputId(path), rows: 3 });
    area.value = owner[key] === undefined ? "" : JSON.stringify(owner[key], null, 1);
    const feedback = h("div", { class: "invalid-feedback" }, text.json_invalid);
    area.addEventListener("input", () => {
      if (!area.value.trim()) {
        delete owner[key];
        area.classList.remove("is-invalid");
        changed();
        return;
      }
      try {
        owner[key] = JSON.parse(area.value);
        area.classList.remove("is-invalid");
        changed();
      } catch {
        area.classList.add("is-invalid");
      }
    });
    return h("div", { class: "col-12", "data-path": path }, h("label", { class: "form-label mb-1", for: area.id }, caption), area, feedback);
  }

  function criterionSelect(owner, key, path, caption) {
    const keys = criteria().map((c) => c.key).filter(Boolean);
    const value = owner[key] || "";
    const options = [h("option", { value: "" }, text.no_criterion),
      ...keys.map((k) => h("option", { value: k, selected: k === value }, `${k} – ${labelText(criteria().find((c) => c.key === k).label)}`))];
    if (value && !keys.includes(value)) options.push(h("option", { value, selected: true }, value));
    const select = h("select", { class: "form-select form-select-sm", id: inputId(path),
      onchange: () => { if (select.value) owner[key] = select.value; else delete owner[key]; changed(); } }, options);
    return h("div", { class: "col-sm-6 col-md-4", "data-path": path }, h("label", { class: "form-label mb-1", for: select.id }, caption), select);
  }

  function choicesInput(owner, key, path, caption) {
    const list = Array.isArray(owner[key]) ? owner[key] : (owner[key] = []);
    const rows = list.map((choice, index) => {
      const at = `${path}[${index}]`;
      const value = h("input", { class: "form-control form-control-sm", id: inputId(at, "-value"), value: choice.value || "",
        onchange: () => { choice.value = value.value.trim(); changed({ rerender: true }); } });
      const removeButton = h("button", { type: "button", class: "btn btn-sm btn-outline-danger",
        onclick: () => { list.splice(index, 1); changed({ rerender: true }); } }, text.remove);
      return h("li", { class: "border rounded p-2 mb-1", "data-path": at },
        h("div", { class: "row g-1 align-items-end" },
          h("div", { class: "col-sm-4", "data-path": `${at}.value` },
            h("label", { class: "form-label mb-1", for: value.id }, text.choice_value), value),
          h("div", { class: "col-sm-8 d-flex justify-content-end" }, removeButton)),
        h("div", { class: "row g-1 mt-1" }, labelInput(choice, "label", `${at}.label`, propertyLabel("label"))));
    });
    const add = h("button", { type: "button", class: "btn btn-sm btn-outline-secondary", "data-action": "add-choice",
      onclick: () => { list.push({ value: `lua_chon_${list.length + 1}`, label: { vi: `${list.length + 1}` } }); changed({ rerender: true }); } }, text.add_choice);
    return h("div", { class: "col-12", "data-path": path }, h("div", { class: "form-label mb-1" }, caption), h("ol", { class: "list-unstyled mb-1" }, rows), add);
  }

  // ---------------------------------------------------------------------------------- conditions

  // The JsonLogic the builder writes: {"in": [{"var": f}, [values]]}, and for a multichoice (a list)
  // {"some": [{"var": f}, {"in": [{"var": ""}, [values]]}]}. The older {"field", "in"} reads the same.
  function parseCondition(value) {
    if (value === undefined || value === null) return { field: "", values: [] };
    if (value.field !== undefined && Array.isArray(value.in)) return { field: value.field, values: value.in.map((v) => (v === "yes" ? true : v === "no" ? false : v)) };
    const isVar = (node) => node && typeof node === "object" && typeof node.var === "string" && Object.keys(node).length === 1;
    if (Object.keys(value).length === 1 && Array.isArray(value.in) && isVar(value.in[0]) && Array.isArray(value.in[1])) {
      return { field: value.in[0].var, values: value.in[1] };
    }
    if (Object.keys(value).length === 1 && Array.isArray(value.some) && isVar(value.some[0])) {
      const inner = parseCondition(value.some[1]);
      if (inner && inner.field === "") return { field: value.some[0].var, values: inner.values };
    }
    return null;
  }

  function buildCondition(target, values) {
    if (target.type === "multichoice") return { some: [{ var: target.name }, { in: [{ var: "" }, values] }] };
    return { in: [{ var: target.name }, values] };
  }

  function optionsOf(target) {
    if (target.type === "yesno") return [{ value: true, label: text.yes }, { value: false, label: text.no }];
    return (target.choices || []).map((c) => ({ value: c.value, label: labelText(c.label) || c.value }));
  }

  function conditionInput(owner, key, path, caption) {
    const parsed = parseCondition(owner[key]);
    const wrapper = h("div", { class: "col-12", "data-path": path }, h("div", { class: "form-label mb-1" }, caption));
    if (parsed === null) {
      wrapper.append(h("div", { class: "small text-muted" }, fmt(text.condition_advanced, { json: JSON.stringify(owner[key]) })),
        h("button", { type: "button", class: "btn btn-sm btn-outline-secondary mt-1", onclick: () => { delete owner[key]; changed({ rerender: true }); } }, text.condition_clear));
      return wrapper;
    }
    const candidates = draft.fields.filter((f) => f !== owner && CONDITIONAL.includes(f.type) && f.name);
    if (!candidates.length && !parsed.field) {
      wrapper.append(h("div", { class: "small text-muted" }, text.no_conditional));
      return wrapper;
    }
    const select = h("select", { class: "form-select form-select-sm", id: inputId(path), "data-role": "condition-field",
      onchange: () => {
        const target = candidates.find((f) => f.name === select.value);
        if (target) owner[key] = buildCondition(target, []);
        else delete owner[key];
        changed({ rerender: true });
      } },
    h("option", { value: "" }, text.condition_always),
    candidates.map((f) => h("option", { value: f.name, selected: f.name === parsed.field }, `${labelText(f.label)} (${f.name})`)));
    wrapper.append(h("label", { class: "visually-hidden", for: select.id }, caption), select);
    const target = candidates.find((f) => f.name === parsed.field);
    if (target) {
      const boxes = optionsOf(target).map((option, index) => {
        const box = h("input", { class: "form-check-input", type: "checkbox", id: inputId(path, `-v${index}`), "data-role": "condition-value",
          checked: parsed.values.includes(option.value),
          onchange: () => {
            const chosen = optionsOf(target).filter((o, i) => $(inputId(path, `-v${i}`)).checked).map((o) => o.value);
            owner[key] = buildCondition(target, chosen);
            changed();
          } });
        return h("div", { class: "form-check form-check-inline" }, box, h("label", { class: "form-check-label", for: box.id }, option.label));
      });
      wrapper.append(h("fieldset", { class: "small mt-1" }, h("legend", { class: "fs-6 small mb-0" }, text.condition_in), boxes));
    }
    return wrapper;
  }

  // What input a definition key gets, read from the schema: its shape's name ($ref) decides.
  const INTEGER_SHAPES = ["integer", "positive_integer", "non_negative_integer"];
  const TEXT_SHAPES = ["snake_case", "regex", "variable_name", "choice_value"];
  const CONDITION_KEYS = ["visible_if", "required_if"];

  function propertyInput(owner, key, schema, path, { rerenderOnChange = false } = {}) {
    const ref = refName(schema);
    const caption = propertyLabel(key);
    const resolved = (ref && defs[ref]) || schema;
    if (ref === "label") return labelInput(owner, key, path, caption);
    if (ref === "boolean") return checkboxInput(owner, key, path, caption);
    if (ref === "choices") return choicesInput(owner, key, path, caption);
    if (ref === "criterion_ref") return criterionSelect(owner, key, path, caption);
    // Conditions are picked; a computation (a computed field's expression) is edited as JsonLogic.
    if (CONDITION_KEYS.includes(key)) return conditionInput(owner, key, path, caption);
    if (ref === "prefill") return valueInput(owner, key, path, caption, "path-list");
    if (ref === "iso_date" || ref === "date_default") return valueInput(owner, key, path, caption, "date");
    if (ref === "floor_ratio") return valueInput(owner, key, path, caption, "number", { min: 0, max: 1, step: "0.05" });
    if (INTEGER_SHAPES.includes(ref) || resolved.type === "integer") {
      return valueInput(owner, key, path, caption, "integer", { min: resolved.minimum, rerender: rerenderOnChange });
    }
    if (ref === "number" || resolved.type === "number") return valueInput(owner, key, path, caption, "number");
    if (TEXT_SHAPES.includes(ref) || resolved.type === "string") return valueInput(owner, key, path, caption, "text", { rerender: rerenderOnChange });
    if (resolved.type === "array" && resolved.items && resolved.items.type === "string") return valueInput(owner, key, path, caption, "list");
    if (resolved.type === "boolean") return checkboxInput(owner, key, path, caption);
    return jsonInput(owner, key, path, caption);
  }

  // ------------------------------------------------------------------------------------ rendering

  function renderMeta() {
    const box = $("form-meta");
    box.replaceChildren();
    box.append(h("div", { class: "col-sm-6 col-md-4" },
      h("label", { class: "form-label mb-1", for: "b-key" }, propertyLabel("key")),
      h("input", { class: "form-control form-control-sm", id: "b-key", value: draft.key || "", readonly: true })));
    for (const [key, schema] of Object.entries(data.schema.properties)) {
      if (key === "key" || key === "fields" || key === "scoring") continue;
      box.append(propertyInput(draft, key, schema, key));
    }
  }

  function fieldCard(field, index) {
    const path = `fields[${index}]`;
    const schema = defs[`field_${field.type}`];
    const isOpen = openFields.has(field);
    const typeLabel = (data.types.find((t) => t.value === field.type) || { label: field.type }).label;
    const bodyId = inputId(path, "-body");
    const button = (label, action, attrs = {}) => h("button", { type: "button", class: "btn btn-sm btn-outline-secondary", "data-action": action, ...attrs }, label);
    const header = h("div", { class: "d-flex flex-wrap align-items-center gap-1 field-head" },
      h("span", { class: "drag-handle d-none d-md-inline", title: text.drag, "aria-hidden": "true" }, "⠿"),
      h("span", { class: `badge ${field.type === "heading" ? "text-bg-dark" : "text-bg-light"}` }, typeLabel),
      h("span", { class: "field-title me-auto text-truncate" }, labelText(field.label) || "…", " ", h("code", { class: "small" }, field.name)),
      button(isOpen ? text.close : text.edit, "toggle", { "aria-expanded": String(isOpen), "aria-controls": bodyId,
        onclick: () => { if (isOpen) openFields.delete(field); else openFields.add(field); render(); } }),
      button(text.up, "up", { disabled: index === 0, onclick: () => move(index, index - 1) }),
      button(text.down, "down", { disabled: index === draft.fields.length - 1, onclick: () => move(index, index + 1) }),
      button(text.duplicate, "duplicate", { onclick: () => duplicate(index) }),
      h("button", { type: "button", class: "btn btn-sm btn-outline-danger", "data-action": "remove", onclick: () => remove(index) }, text.remove));
    const body = h("div", { class: "row g-2 small mt-1", id: bodyId, hidden: !isOpen });
    if (isOpen) {
      if (!schema) body.append(jsonInput(draft.fields, index, path, field.type));
      else {
        for (const [key, property] of Object.entries(schema.properties)) {
          if (key === "type") continue;
          // A name or choice change renames what conditions and criteria point at: redraw on change.
          body.append(propertyInput(field, key, property, `${path}.${key}`, { rerenderOnChange: key === "name" }));
        }
      }
    }
    return h("li", { class: `card card-body p-2 mb-2 field-card${field.type === "heading" ? " field-heading" : ""}`,
      "data-path": path, "data-testid": "field-card", "data-name": field.name }, header, body);
  }

  function renderFields() {
    const list = $("field-list");
    list.replaceChildren(...draft.fields.map(fieldCard));
    if (!draft.fields.length) list.append(h("li", { class: "text-muted small" }, text.no_fields));
  }

  function renderScoring() {
    const box = $("scoring");
    box.replaceChildren();
    const scoring = draft.scoring;
    const list = h("ol", { class: "list-unstyled mb-2" });
    criteria().forEach((criterion, index) => {
      const path = `scoring.criteria[${index}]`;
      const row = h("div", { class: "row g-2 small" });
      for (const [key, property] of Object.entries(defs.criterion.properties)) {
        row.append(propertyInput(criterion, key, property, `${path}.${key}`, { rerenderOnChange: key === "key" }));
      }
      list.append(h("li", { class: "card card-body p-2 mb-2", "data-path": path, "data-testid": "criterion", "data-key": criterion.key || "" },
        row,
        h("div", { class: "d-flex flex-wrap align-items-center gap-2 mt-1" },
          h("span", { class: "small me-auto", "data-sum-of": String(index), "data-testid": "criterion-sum" }),
          h("button", { type: "button", class: "btn btn-sm btn-outline-danger", onclick: () => {
            scoring.criteria.splice(index, 1);
            if (!scoring.criteria.length) delete draft.scoring;
            changed({ rerender: true });
          } }, text.remove))));
    });
    if (!criteria().length) box.append(h("p", { class: "small text-muted" }, text.no_criteria));
    box.append(list, h("button", { type: "button", class: "btn btn-sm btn-outline-primary mb-2", "data-testid": "add-criterion",
      onclick: () => {
        draft.scoring = draft.scoring || {};
        draft.scoring.criteria = criteria();
        const n = draft.scoring.criteria.length + 1;
        draft.scoring.criteria.push({ key: `tc${n}`, label: { vi: `Tiêu chí ${n}` }, max_points: 10 });
        changed({ rerender: true });
      } }, text.add_criterion));
    box.append(h("p", { class: "small fw-semibold mb-2", id: "criteria-total", "data-testid": "criteria-total" }));
    if (scoring) {
      const rest = h("div", { class: "row g-2 small" });
      for (const [key, property] of Object.entries(defs.scoring.properties)) {
        if (key !== "criteria") rest.append(propertyInput(scoring, key, property, `scoring.${key}`));
      }
      box.append(rest);
    }
  }

  // The running totals: each criterion against the score fields that belong to it, and the whole.
  function updateTotals() {
    const scoreFields = draft.fields.filter((f) => f.type === "score");
    let total = 0;
    criteria().forEach((criterion, index) => {
      const sum = scoreFields.filter((f) => f.criterion === criterion.key).reduce((s, f) => s + (Number(f.max_points) || 0), 0);
      const max = Number(criterion.max_points) || 0;
      total += max;
      const node = document.querySelector(`[data-sum-of="${index}"]`);
      if (!node) return;
      const ok = sum === max;
      node.textContent = `${fmt(text.items_sum, { sum, max })} – ${ok ? text.items_match : text.items_differ}`;
      node.className = `small me-auto ${ok ? "text-success" : "text-danger"}`;
      node.dataset.ok = String(ok);
    });
    const line = $("criteria-total");
    if (!line) return;
    const pass = draft.scoring && Number.isFinite(draft.scoring.pass_total) ? draft.scoring.pass_total : null;
    line.textContent = criteria().length ? fmt(text.criteria_total, { total }) : "";
    if (pass !== null && pass > total) line.append(h("span", { class: "text-danger d-block" }, fmt(text.pass_above_total, { pass, total })));
  }

  function render() {
    const focused = document.activeElement && document.activeElement.id;
    renderMeta();
    renderFields();
    renderScoring();
    updateTotals();
    showProblems();
    if (focused && $(focused)) $(focused).focus();
  }

  // ------------------------------------------------------------------------ problems by path

  // The element for a path, or for the nearest enclosing path that has one (fields[3].choices[0].label
  // falls back to fields[3].choices[0], then fields[3]).
  function elementFor(path) {
    for (let at = path; at; ) {
      const found = document.querySelector(`[data-path="${CSS.escape(at)}"]`);
      if (found) return found;
      const shorter = at.replace(/(\.[^.[\]]+|\[\d+\])$/, "");
      if (shorter === at) return null;
      at = shorter;
    }
    return null;
  }

  function showProblems() {
    const list = $("problem-list");
    list.replaceChildren();
    for (const node of document.querySelectorAll(".problem-message")) node.remove();
    for (const node of document.querySelectorAll(".is-invalid")) node.classList.remove("is-invalid");
    for (const problem of problems) {
      const target = problem.path ? elementFor(problem.path) : null;
      const where = problem.path || text.whole_form;
      list.append(h("li", { class: "list-group-item list-group-item-danger", "data-testid": "problem" },
        h("code", {}, where), `: ${problem.message}`));
      if (!target) continue;
      target.append(h("div", { class: "problem-message invalid-feedback d-block", "data-testid": "inline-problem", "data-for": problem.path }, problem.message));
      for (const input of target.querySelectorAll(":scope > input, :scope > select, :scope > textarea, :scope .input-group > input")) {
        input.classList.add("is-invalid");
      }
    }
  }

  // A problem inside a collapsed field card opens that card, so the message is next to its input.
  function openFieldsWithProblems() {
    for (const problem of problems) {
      const match = /^fields\[(\d+)\]/.exec(problem.path || "");
      if (match && draft.fields[Number(match[1])]) openFields.add(draft.fields[Number(match[1])]);
    }
  }

  // ----------------------------------------------------------------------------- server requests

  function setStatus(message, className) {
    const status = $("builder-status");
    status.className = `small mb-2 ${className || ""}`;
    status.textContent = message;
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": data.csrf },
      body: JSON.stringify(body),
    });
    const isJson = (response.headers.get("Content-Type") || "").includes("json");
    return { status: response.status, body: isJson ? await response.json() : await response.text() };
  }

  function showServerProblems(list) {
    problems = list || [];
    openFieldsWithProblems();
    render();
  }

  async function save() {
    setStatus(text.saving);
    try {
      const { status, body } = await post(data.urls.save, { definition: draft });
      if (status === 200) {
        dirty = false;
        $("discard").hidden = false;
        const at = new Date(body.saved_at).toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit" });
        setStatus(body.problems.length ? fmt(text.saved_problems, { n: body.problems.length }) : fmt(text.saved, { at }),
          body.problems.length ? "text-warning-emphasis" : "text-success");
        showServerProblems(body.problems);
      } else {
        setStatus(fmt(text.not_saved, { n: (body.problems || []).length }), "text-danger");
        showServerProblems(body.problems);
      }
    } catch {
      setStatus(text.request_failed, "text-danger");
    }
  }

  async function publish() {
    if (!window.confirm(text.confirm_publish)) return;
    setStatus(text.publishing);
    try {
      const { status, body } = await post(data.urls.publish, { definition: draft });
      if (status === 201 || status === 200) {
        dirty = false;
        $("discard").hidden = true;
        $("publish").disabled = true;
        showServerProblems([]);
        setStatus("", "text-success");
        const status201 = status === 201;
        $("builder-status").append(
          h("span", { "data-testid": "published", "data-version": String(body.version) },
            fmt(status201 ? text.published : text.identical, { v: body.version })),
          " ", h("a", { href: body.library_url }, text.library));
      } else {
        setStatus(fmt(text.not_saved, { n: (body.problems || []).length }), "text-danger");
        showServerProblems(body.problems);
      }
    } catch {
      setStatus(text.request_failed, "text-danger");
    }
  }

  async function discard() {
    if (!window.confirm(text.confirm_discard)) return;
    try {
      const { body } = await post(data.urls.discard, {});
      dirty = false;
      window.location.assign(body.redirect);
    } catch {
      setStatus(text.request_failed, "text-danger");
    }
  }

  // The preview's current inputs, so a redraw after an edit keeps what the admin typed there.
  function previewInputs() {
    const form = $("preview-form");
    if (!form) return [];
    return [...new FormData(form).entries()].filter(([, value]) => typeof value === "string");
  }

  async function refreshPreview(score = false) {
    const sequence = ++previewSequence;
    try {
      const { body } = await post(data.urls.preview, { definition: draft, inputs: previewInputs(), score });
      if (sequence !== previewSequence) return; // a later edit already asked for a newer preview
      $("preview").innerHTML = body; // server-rendered and escaped by Jinja, like the task page
      if (typeof window.updateScoreTotal === "function") window.updateScoreTotal();
      // Conditions, computed values and repeating rows behave in the preview as on the task page.
      const form = $("preview-form");
      if (form && window.FormLogic) window.FormLogic.settle(form);
      if (score) $("preview").querySelector("[data-testid=preview-result]")?.scrollIntoView({ block: "nearest" });
    } catch {
      setStatus(text.request_failed, "text-danger");
    }
  }

  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(() => refreshPreview(false), PREVIEW_DELAY_MS);
  }

  // ------------------------------------------------------------------------------------- wiring

  const typeSelect = $("add-type");
  typeSelect.replaceChildren(...data.types.filter((t) => t.value !== "heading").map((t) => h("option", { value: t.value }, t.label)));
  $("add-field").addEventListener("click", () => addField(typeSelect.value));
  $("add-heading").addEventListener("click", () => addField("heading"));
  $("save").addEventListener("click", save);
  $("publish").addEventListener("click", publish);
  $("discard").addEventListener("click", discard);
  $("preview").addEventListener("click", (event) => {
    if (event.target.closest("[data-action=score]")) refreshPreview(true);
  });
  window.addEventListener("beforeunload", (event) => {
    if (dirty) {
      event.preventDefault();
      event.returnValue = text.leave;
    }
  });
  // Drag and drop on wide screens (the handle is hidden on phones, where Up/Down do the same). The
  // fallback mode moves a copy with mouse and touch events, which behaves the same in every browser.
  window.Sortable.create($("field-list"), {
    handle: ".drag-handle",
    draggable: ".field-card",
    forceFallback: true,
    animation: 150,
    onEnd: (event) => {
      if (event.oldIndex !== event.newIndex) move(event.oldIndex, event.newIndex);
    },
  });

  render();
  refreshPreview(false);
  document.body.dataset.builderReady = "";
})();
