// The procedure modeler: Camunda 7's BPMN modeler (camunda-bpmn-js, with its properties panel), dmn-js for
// the decision tables, and around them the manifest settings a diagram cannot hold (who works in each lane,
// each user task's form and labels, what each end event means for the dossier).
//
// Everything comes from the #modeler-data JSON block and no code sits in the page, so a strict
// Content-Security-Policy can be switched on later. The server runs every check; this script only
// gathers the package, sends it, and shows the answer on the diagram.
(() => {
  "use strict";

  const data = JSON.parse(document.getElementById("modeler-data").textContent);
  const text = data.messages;
  const original = data.package;
  const base = structuredClone(original.manifest);

  const files = []; // {name, kind, editor, pane, tab, original, baseline}
  const forms = new Map(Object.entries(original.forms));
  // Settings are keyed by the element's business object rather than its id or name, so renaming a lane
  // or changing an id in the properties panel keeps what the admin chose for it.
  const laneSettings = new WeakMap();
  const taskSettings = new WeakMap();
  const endSettings = new WeakMap();
  const watchedViewers = new WeakSet();
  let recognized = [...(base.recognized_states || [])];
  let touched = false;
  const problemSheet = new CSSStyleSheet();
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, problemSheet];

  // bpmn-js and dmn-js look every interface string up through a "translate" service; this one reads the
  // table the server sends (empty in English, where the libraries' own words are kept).
  const translateModule = {
    translate: ["value", (template, replacements) => (data.modeler_words[template] || template)
      .replace(/{([^}]+)}/g, (match, key) => (replacements && key in replacements ? replacements[key] : match))],
  };

  const $ = (id) => document.getElementById(id);
  const fmt = (template, values) => template.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));

  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child !== undefined && child !== null && child !== false) {
        node.append(child instanceof Node ? child : document.createTextNode(String(child)));
      }
    }
    return node;
  }

  function select(options, value, attrs) {
    const known = options.some((o) => o.value === value);
    // A value this installation does not offer (a role from elsewhere) stays selectable, never lost.
    const all = known || !value ? options : [...options, { value, label: value }];
    return h("select", { class: "form-select form-select-sm", ...attrs },
      all.map((o) => h("option", { value: o.value, selected: o.value === value }, o.label)));
  }

  const isA = (bo, type) => Boolean(bo && bo.$instanceOf && bo.$instanceOf(type));
  const bpmnFiles = () => files.filter((f) => f.kind === "bpmn");
  const dmnFiles = () => files.filter((f) => f.kind === "dmn");

  function elements(type, keep = () => true) {
    const found = [];
    for (const file of bpmnFiles()) {
      const registry = file.editor.get("elementRegistry");
      for (const element of registry.filter((e) => e.type !== "label" && isA(e.businessObject, type))) {
        if (keep(element.businessObject)) found.push({ file, element, bo: element.businessObject });
      }
    }
    return found;
  }

  const lanes = () => elements("bpmn:Lane");
  const userTasks = () => elements("bpmn:UserTask");
  // Only end events of a process itself give the dossier an outcome, not those inside a subprocess.
  const endEvents = () => elements("bpmn:EndEvent", (bo) => isA(bo.$parent, "bpmn:Process"));

  function laneOf(bo) {
    if (!laneSettings.has(bo)) {
      const entry = (base.lanes || {})[bo.name || ""] || {};
      laneSettings.set(bo, { extra: entry, role: entry.role || "", level: entry.level || "" });
    }
    return laneSettings.get(bo);
  }

  function taskOf(bo) {
    if (!taskSettings.has(bo)) {
      const entry = (base.tasks || {})[bo.id] || {};
      const label = entry.label || {};
      taskSettings.set(bo, { extra: entry, vi: label.vi || "", en: label.en || "", scores: entry.scores || "" });
    }
    return taskSettings.get(bo);
  }

  function endOf(bo) {
    if (!endSettings.has(bo)) endSettings.set(bo, { status: (base.end_states || {})[bo.id] || "" });
    return endSettings.get(bo);
  }

  function laneNames() {
    const byNode = new Map();
    for (const { bo } of lanes()) {
      for (const node of bo.flowNodeRef || []) byNode.set(node, bo.name || bo.id);
    }
    return byNode;
  }

  function formDataCount(bo) {
    const formData = ((bo.extensionElements && bo.extensionElements.values) || []).find((v) => v.$type === "camunda:FormData");
    return formData && formData.fields ? formData.fields.length : 0;
  }

  function formTitle(key) {
    try {
      const form = JSON.parse(forms.get(key));
      const title = form.title || {};
      return { title: title.vi || title.en || key, fields: Array.isArray(form.fields) ? form.fields.length : 0 };
    } catch (error) {
      return { title: key, fields: 0 };
    }
  }

  function touch() {
    touched = true;
  }

  // ------------------------------------------------------------------------------------ settings panels

  function renderProcessIds() {
    const field = $("m-process-id");
    const current = field.value || field.dataset.current;
    const ids = [];
    for (const file of bpmnFiles()) {
      for (const root of file.editor.getDefinitions().rootElements || []) {
        if (isA(root, "bpmn:Process")) ids.push(root.id);
      }
    }
    const value = ids.includes(current) || ids.length !== 1 ? current : ids[0];
    field.replaceChildren(...select(ids.map((id) => ({ value: id, label: id })), value).children);
    field.value = value;
  }

  function renderLanes() {
    const rows = lanes().map(({ bo }) => {
      const setting = laneOf(bo);
      const name = bo.name || bo.id;
      return h("div", { class: "setting-row", "data-testid": "lane-row", "data-lane": name },
        h("div", { class: "fw-semibold small" }, name, " ", h("code", { class: "text-muted" }, bo.id)),
        h("div", { class: "row g-1" },
          h("div", { class: "col-sm-6" }, select([{ value: "", label: text.none }, ...data.roles], setting.role, {
            "aria-label": `${text.role} – ${name}`, "data-field": "role",
            onchange: (event) => { setting.role = event.target.value; touch(); },
          })),
          h("div", { class: "col-sm-6" }, select([{ value: "", label: text.none }, ...data.levels], setting.level, {
            "aria-label": `${text.level} – ${name}`, "data-field": "level",
            onchange: (event) => { setting.level = event.target.value; touch(); },
          }))));
    });
    $("lane-settings").replaceChildren(...(rows.length ? rows : [h("p", { class: "small text-warning" }, text.no_lanes)]));
  }

  function setFormKey(file, element, key) {
    file.editor.get("modeling").updateProperties(element, { "camunda:formKey": key || undefined });
  }

  // The published versions of the form library (newest first per form). Choosing one copies that
  // version's definition into the package as forms/<key>.json: the package stays self-contained, and
  // deploying pins exactly that library version (same key, same content).
  const libraryForms = data.library_forms || [];
  const LIBRARY = "library:";

  // JSON with its keys sorted, to tell whether a package form is a library version unchanged.
  function canonical(value) {
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    if (value && typeof value === "object") {
      return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
    }
    return JSON.stringify(value);
  }

  function libraryVersionOf(key) {
    let content;
    try {
      content = canonical(JSON.parse(forms.get(key)));
    } catch (error) {
      return null;
    }
    return libraryForms.find((f) => f.key === key && canonical(f.definition) === content) || null;
  }

  function useLibraryForm(file, element, value) {
    const [key, version] = value.slice(LIBRARY.length).split(":");
    const chosen = libraryForms.find((f) => f.key === key && String(f.version) === version);
    if (!chosen) return;
    let replaced = false;
    if (forms.has(key)) {
      try {
        replaced = canonical(JSON.parse(forms.get(key))) !== canonical(chosen.definition);
      } catch (error) {
        replaced = true;
      }
    }
    forms.set(key, `${JSON.stringify(chosen.definition, null, 2)}\n`);
    touch();
    const copied = fmt(text.library_copied, { key, v: chosen.version });
    status("info", replaced ? `${fmt(text.form_replaced, { key })} ${copied}` : copied);
    if (element.businessObject.get("camunda:formKey") === key) renderSettings();
    else setFormKey(file, element, key);
  }

  function formSelect(current, attrs) {
    const option = (value, label) => h("option", { value, selected: value === current }, label);
    const keys = [...forms.keys()].sort();
    if (current && !forms.has(current)) keys.push(current); // a key the package lacks stays visible
    return h("select", { class: "form-select form-select-sm", ...attrs },
      option("", text.none),
      h("optgroup", { label: text.package_forms, "data-group": "package" },
        keys.map((key) => {
          const same = forms.has(key) ? libraryVersionOf(key) : null;
          const label = `${key} – ${formTitle(key).title}${same ? ` (${fmt(text.library_same, { v: same.version })})` : ""}`;
          return option(key, label);
        })),
      libraryForms.length ? h("optgroup", { label: text.library_forms, "data-group": "library" },
        libraryForms.map((f) => option(`${LIBRARY}${f.key}:${f.version}`, fmt(text.library_option, { key: f.key, v: f.version, title: f.title })))) : null);
  }

  function renderTasks() {
    const laneByNode = laneNames();
    const scoreOptions = [{ value: "", label: text.no_scores },
      { value: "self", label: text.self_scores }, { value: "official", label: text.official_scores }];
    const rows = userTasks().map(({ file, element, bo }) => {
      const setting = taskOf(bo);
      const name = bo.name || bo.id;
      const lane = laneByNode.get(bo);
      const inline = formDataCount(bo);
      return h("div", { class: "setting-row", "data-testid": "task-row", "data-task": bo.id },
        h("div", { class: "small" }, h("span", { class: "fw-semibold" }, name), " ", h("code", { class: "text-muted" }, bo.id),
          " · ", lane ? `${text.lane}: ${lane}` : h("span", { class: "text-danger" }, text.not_in_lane)),
        h("div", { class: "row g-1" },
          h("div", { class: "col-sm-6" }, formSelect(bo.get("camunda:formKey") || "", {
            "aria-label": `${text.form} – ${name}`, "data-field": "form",
            onchange: (event) => (event.target.value.startsWith(LIBRARY)
              ? useLibraryForm(file, element, event.target.value)
              : setFormKey(file, element, event.target.value)),
          }), inline && !bo.get("camunda:formKey") ? h("div", { class: "form-text" }, fmt(text.form_data, { n: inline })) : null),
          h("div", { class: "col-sm-6" }, select(scoreOptions, setting.scores, {
            "aria-label": `${text.scores} – ${name}`, "data-field": "scores",
            onchange: (event) => { setting.scores = event.target.value; touch(); },
          })),
          h("div", { class: "col-sm-6" }, h("input", {
            class: "form-control form-control-sm", value: setting.vi, placeholder: name, "data-field": "label-vi",
            "aria-label": `${text.label_vi} – ${name}`, oninput: (event) => { setting.vi = event.target.value.trim(); touch(); },
          })),
          h("div", { class: "col-sm-6" }, h("input", {
            class: "form-control form-control-sm", value: setting.en, placeholder: text.label_en, "data-field": "label-en",
            "aria-label": `${text.label_en} – ${name}`, oninput: (event) => { setting.en = event.target.value.trim(); touch(); },
          }))));
    });
    $("task-settings").replaceChildren(...(rows.length ? rows : [h("p", { class: "small text-muted" }, text.no_user_tasks)]));
  }

  function statusOptions() {
    const options = [{ value: "", label: text.no_outcome }, ...data.statuses];
    for (const status of Object.values(base.end_states || {})) {
      if (!options.some((o) => o.value === status)) options.push({ value: status, label: status });
    }
    return options;
  }

  function renderEnds() {
    const options = statusOptions();
    const rows = endEvents().map(({ bo }) => {
      const setting = endOf(bo);
      const name = bo.name || bo.id;
      return h("div", { class: "setting-row d-flex flex-wrap align-items-center gap-2", "data-testid": "end-row", "data-end": bo.id },
        h("div", { class: "small flex-grow-1" }, h("span", { class: "fw-semibold" }, name), " ", h("code", { class: "text-muted" }, bo.id)),
        h("div", {}, select(options, setting.status, {
          "aria-label": `${text.outcome} – ${name}`, "data-field": "status",
          onchange: (event) => { setting.status = event.target.value; touch(); renderRecognized(); },
        })));
    });
    $("end-settings").replaceChildren(...(rows.length ? rows : [h("p", { class: "small text-warning" }, text.no_end_events)]));
    renderRecognized();
  }

  function usedStatuses() {
    return [...new Set(endEvents().map(({ bo }) => endOf(bo).status).filter(Boolean))];
  }

  function renderRecognized() {
    const labels = Object.fromEntries(statusOptions().map((o) => [o.value, o.label]));
    $("recognized-settings").replaceChildren(...usedStatuses().map((status) => {
      const id = `recognized-${status}`;
      return h("div", { class: "form-check form-check-inline" },
        h("input", {
          class: "form-check-input", type: "checkbox", id, checked: recognized.includes(status),
          onchange: (event) => {
            recognized = event.target.checked ? [...recognized, status] : recognized.filter((s) => s !== status);
            touch();
          },
        }),
        h("label", { class: "form-check-label", for: id }, labels[status] || status));
    }));
  }

  function renderFiles() {
    const usedBy = new Map();
    for (const { bo } of userTasks()) {
      const key = bo.get("camunda:formKey");
      if (key) usedBy.set(key, [...(usedBy.get(key) || []), bo.name || bo.id]);
    }
    const rows = [...forms.keys()].sort().map((key) => {
      const info = formTitle(key);
      const same = libraryVersionOf(key);
      const users = usedBy.get(key) || [];
      return h("div", { class: "setting-row d-flex flex-wrap align-items-center gap-2", "data-testid": "form-row", "data-form": key },
        h("code", {}, `forms/${key}.json`),
        h("span", {}, info.title, " · ", fmt(text.fields, { n: info.fields })),
        same ? h("span", { class: "badge text-bg-light", "data-testid": "library-version", "data-version": String(same.version) },
          fmt(text.library_same, { v: same.version })) : null,
        h("span", { class: "text-muted" }, users.length ? fmt(text.used_by, { tasks: users.join(", ") }) : text.unused),
        users.length ? null : h("button", {
          type: "button", class: "btn btn-sm btn-link text-danger p-0",
          onclick: () => { forms.delete(key); touch(); renderSettings(); },
        }, text.remove));
    });
    const diagrams = files.map((f) => h("div", { class: "setting-row" }, h("code", {}, f.name)));
    $("form-list").replaceChildren(...diagrams, ...rows);
  }

  function renderSettings() {
    renderProcessIds();
    renderLanes();
    renderTasks();
    renderEnds();
    renderFiles();
  }

  let renderPending = false;
  function scheduleRender() {
    if (renderPending) return;
    renderPending = true;
    window.setTimeout(() => { renderPending = false; renderSettings(); }, 150);
  }

  // ------------------------------------------------------------------------------------------ files

  function showTab(file) {
    for (const other of files) {
      const active = other === file;
      other.pane.classList.toggle("d-none", !active);
      other.tab.classList.toggle("active", active);
      other.tab.setAttribute("aria-selected", String(active));
    }
    if (file.kind === "bpmn") {
      const canvas = file.editor.get("canvas");
      canvas.resized();
      if (!file.fitted && file.pane.clientWidth > 0) {
        canvas.zoom("fit-viewport", "auto");
        file.fitted = true;
      }
    }
  }

  function addTab(file) {
    const index = files.length;
    file.tab = h("button", {
      type: "button", class: "nav-link", role: "tab", id: `file-tab-${index}`, "aria-controls": `file-pane-${index}`,
      "data-testid": "file-tab", "data-file": file.name, onclick: () => showTab(file),
    }, file.name);
    $("file-tabs").append(h("li", { class: "nav-item", role: "presentation" }, file.tab));
    file.pane.id = `file-pane-${index}`;
    file.pane.setAttribute("role", "tabpanel");
    file.pane.classList.add("d-none");
    $("file-panes").append(file.pane);
    files.push(file);
  }

  async function openBpmn(name, xml) {
    const canvas = h("div", { class: "modeler-canvas", "data-testid": "bpmn-canvas" });
    const properties = h("div", { class: "modeler-properties", "data-testid": "properties-panel" });
    const file = { name, kind: "bpmn", original: xml, pane: h("div", { class: "modeler-pane", "data-file": name }, canvas, properties) };
    addTab(file);
    file.editor = new window.BpmnModeler({
      container: canvas,
      propertiesPanel: { parent: properties },
      additionalModules: [translateModule],
      // Saving must not move the diagram: every saveXML would otherwise be an edit (and reorder lanes),
      // and an untouched file could never be recognised as unchanged.
      alignToOrigin: { alignOnSave: false },
    });
    await file.editor.importXML(xml);
    file.baseline = (await file.editor.saveXML({ format: true })).xml;
    file.editor.on("commandStack.changed", () => { touch(); scheduleRender(); });
    return file;
  }

  async function openDmn(name, xml) {
    const container = h("div", { class: "dmn-container" });
    const file = { name, kind: "dmn", original: xml, pane: h("div", { class: "dmn-pane", "data-file": name }, container) };
    addTab(file);
    // dmn-js takes extra modules per view ("common" ones would be replaced by each view's own list).
    const translated = { additionalModules: [translateModule] };
    file.editor = new window.DmnJS({
      container, drd: translated, decisionTable: translated, literalExpression: translated, boxedExpression: translated,
    });
    file.editor.on("views.changed", () => {
      const viewer = file.editor.getActiveViewer();
      if (viewer && !watchedViewers.has(viewer)) {
        watchedViewers.add(viewer);
        viewer.on("commandStack.changed", touch);
      }
    });
    await file.editor.importXML(xml);
    // One decision per file is the convention: go straight to its table rather than the DRD.
    const table = file.editor.getViews().find((view) => view.type === "decisionTable");
    if (table) await file.editor.open(table);
    file.baseline = (await file.editor.saveXML({ format: true })).xml;
    return file;
  }

  async function currentXml(file) {
    const { xml } = await file.editor.saveXML({ format: true });
    // Untouched files go back byte for byte, so re-deploying unchanged sources finds the same version.
    return xml === file.baseline ? file.original : xml;
  }

  // --------------------------------------------------------------------------------------- manifest

  function labelled(vi, en, previous) {
    const value = { ...(previous || {}) };
    delete value.vi;
    delete value.en;
    if (vi) value.vi = vi;
    if (en) value.en = en;
    return value;
  }

  const field = (id) => $(id).value.trim();

  function buildManifest() {
    const manifest = structuredClone(base);
    manifest.key = field("m-key");
    manifest.process_id = $("m-process-id").value;
    manifest.title = labelled(field("m-title-vi"), field("m-title-en"), base.title);
    const serves = { ...(base.serves || {}), title: field("s-title"), code_prefix: field("s-prefix") };
    serves.label = labelled(field("s-label-vi"), field("s-label-en"), (base.serves || {}).label);
    if (field("s-kind")) serves.subject_kind = field("s-kind");
    else delete serves.subject_kind;
    const subject = labelled(field("s-subject-vi"), field("s-subject-en"), (base.serves || {}).subject_label);
    if (Object.keys(subject).length) serves.subject_label = subject;
    else delete serves.subject_label;
    manifest.serves = serves;

    manifest.bpmn = bpmnFiles().map((f) => f.name);
    const dmn = dmnFiles().map((f) => f.name);
    if (dmn.length || "dmn" in base) manifest.dmn = dmn;

    manifest.lanes = {};
    for (const { bo } of lanes()) {
      const setting = laneOf(bo);
      manifest.lanes[bo.name || ""] = { ...setting.extra, role: setting.role, level: setting.level };
    }

    manifest.end_states = {};
    for (const { bo } of endEvents()) {
      if (endOf(bo).status) manifest.end_states[bo.id] = endOf(bo).status;
    }
    const used = Object.values(manifest.end_states);
    const states = recognized.filter((status) => used.includes(status));
    if (states.length || "recognized_states" in base) manifest.recognized_states = states;
    else delete manifest.recognized_states;

    const tasks = {};
    for (const { bo } of userTasks()) {
      const setting = taskOf(bo);
      const entry = { ...setting.extra };
      const label = labelled(setting.vi, setting.en, setting.extra.label);
      if (Object.keys(label).length) entry.label = label;
      else delete entry.label;
      if (setting.scores) entry.scores = setting.scores;
      else delete entry.scores;
      if (Object.keys(entry).length) tasks[bo.id] = entry;
    }
    if (Object.keys(tasks).length || "tasks" in base) manifest.tasks = tasks;
    else delete manifest.tasks;

    const defaults = JSON.parse($("m-defaults").value.trim() || "{}");
    if (defaults === null || typeof defaults !== "object" || Array.isArray(defaults)) throw new SyntaxError();
    if (Object.keys(defaults).length || "defaults" in base) manifest.defaults = defaults;
    else delete manifest.defaults;
    return manifest;
  }

  async function collectPackage() {
    let manifest;
    try {
      manifest = buildManifest();
    } catch (error) {
      return { problems: [{ file: "procedure.json", line: null, element: null, message: text.defaults_invalid }] };
    }
    const pack = { manifest, bpmn: {}, dmn: {}, forms: Object.fromEntries(forms) };
    for (const file of files) pack[file.kind][file.name] = await currentXml(file);
    return { pack };
  }

  // --------------------------------------------------------------------------------------- problems

  function locate(problem) {
    if (!problem.element) return null;
    const ordered = [...files.filter((f) => f.name === problem.file), ...files.filter((f) => f.name !== problem.file)];
    for (const file of ordered) {
      if (file.kind === "bpmn") {
        const element = file.editor.get("elementRegistry").get(problem.element);
        if (element) return { file, element };
      } else if (file.name === problem.file) {
        return { file, id: problem.element };
      }
    }
    return null;
  }

  function reveal(location) {
    showTab(location.file);
    if (location.element) {
      location.file.editor.get("canvas").scrollToElement(location.element);
      location.file.editor.get("selection").select(location.element);
      return;
    }
    const table = location.file.editor.getViews().find((view) => view.type === "decisionTable");
    const opened = table ? location.file.editor.open(table) : Promise.resolve();
    opened.then(() => {
      const cell = location.file.pane.querySelector(
        `[data-element-id="${CSS.escape(location.id)}"], [data-col-id="${CSS.escape(location.id)}"]`);
      if (cell) cell.scrollIntoView({ block: "center" });
    });
  }

  function clearProblems() {
    for (const file of bpmnFiles()) {
      file.editor.get("overlays").remove({ type: "problem" });
      for (const id of file.marked || []) file.editor.get("canvas").removeMarker(id, "has-problem");
      file.marked = [];
    }
    problemSheet.replaceSync("");
    $("problem-list").replaceChildren();
  }

  function whereText(problem) {
    const parts = [];
    if (problem.file) parts.push(problem.line ? `${problem.file} (${fmt(text.line, { n: problem.line })})` : problem.file);
    if (problem.element) parts.push(problem.element);
    return parts.length ? parts.join(" · ") : text.whole_package;
  }

  function markOnDiagram(location, messages) {
    const { file, element } = location;
    file.editor.get("canvas").addMarker(element.id, "has-problem");
    file.marked.push(element.id);
    const note = h("div", {
      class: "problem-overlay", role: "button", tabindex: "0", title: messages.join("\n"),
      "data-testid": "problem-overlay", "data-element": element.id,
      onclick: () => reveal(location),
    }, messages.join(" · "));
    // Shapes get the note under them; lanes and pools at their top left corner, inside.
    const inside = isA(element.businessObject, "bpmn:Lane") || isA(element.businessObject, "bpmn:Participant");
    const position = inside ? { top: 4, left: 34 } : { top: (element.height || 0) + 6, left: 0 };
    file.editor.get("overlays").add(element, "problem", { position, html: note });
  }

  function showProblems(problems) {
    clearProblems();
    const onDiagram = new Map();
    const dmnRules = [];
    const items = problems.map((problem) => {
      const location = locate(problem);
      if (location && location.element) {
        const key = `${location.file.name}\u0000${location.element.id}`;
        if (!onDiagram.has(key)) onDiagram.set(key, { location, messages: [] });
        onDiagram.get(key).messages.push(problem.message);
      } else if (location) {
        const id = CSS.escape(location.id);
        const pane = CSS.escape(location.file.pane.id);
        dmnRules.push(`#${pane} [data-element-id="${id}"], #${pane} [data-col-id="${id}"] { outline: 2px solid #dc3545; outline-offset: -2px; background: #f8d7da; }`);
      }
      return h("li", {
        class: `list-group-item list-group-item-danger small${location ? " list-group-item-action" : ""}`,
        "data-testid": "problem", "data-element": problem.element || "", role: location ? "button" : null,
        onclick: location ? () => reveal(location) : null,
      }, h("span", { class: "fw-semibold" }, whereText(problem)), ": ", problem.message);
    });
    for (const { location, messages } of onDiagram.values()) markOnDiagram(location, messages);
    problemSheet.replaceSync(dmnRules.join("\n"));
    $("problem-list").replaceChildren(...items);
  }

  function status(kind, message, link) {
    $("modeler-status").replaceChildren(h("div", { class: `alert alert-${kind} py-2 small`, "data-testid": `status-${kind}` },
      message, link ? [" ", h("a", { href: link.href, class: "alert-link", "data-testid": "status-link" }, link.text)] : null));
  }

  async function send(url, busyMessage) {
    const { pack, problems } = await collectPackage();
    if (problems) {
      showProblems(problems);
      status("danger", fmt(text.problems, { n: problems.length }));
      return null;
    }
    status("secondary", busyMessage);
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": data.csrf },
      body: JSON.stringify(pack),
    });
    const body = (response.headers.get("Content-Type") || "").includes("application/json") ? await response.json() : null;
    if (body === null) throw new Error(String(response.status));
    showProblems(body.problems || []);
    if (body.problems && body.problems.length) {
      status("danger", fmt(text.problems, { n: body.problems.length }));
      return null;
    }
    return body;
  }

  async function run(button, action) {
    const buttons = [$("validate"), $("deploy")];
    buttons.forEach((b) => { b.disabled = true; });
    try {
      await action();
    } catch (error) {
      status("danger", text.request_failed);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      button.focus();
    }
  }

  $("validate").addEventListener("click", (event) => run(event.currentTarget, async () => {
    const body = await send(data.urls.validate, text.checking);
    if (body) status("success", text.no_problems);
  }));

  $("deploy").addEventListener("click", (event) => run(event.currentTarget, async () => {
    const body = await send(data.urls.deploy, text.deploying);
    if (!body) return;
    touched = false;
    status(body.created ? "success" : "info", fmt(body.created ? text.deployed : text.identical, { v: body.version }),
      { href: body.library_url, text: text.open_library });
  }));

  // ---------------------------------------------------------------------------------- adding files

  $("add-form").addEventListener("change", async (event) => {
    const upload = event.target.files[0];
    event.target.value = "";
    if (!upload) return;
    const key = upload.name.replace(/\.json$/i, "");
    const content = await upload.text();
    let parsed = null;
    try {
      parsed = JSON.parse(content);
    } catch (error) {
      parsed = null;
    }
    if (!/^[a-z][a-z0-9_]*$/.test(key) || parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      status("danger", /^[a-z][a-z0-9_]*$/.test(key) ? fmt(text.form_invalid, { file: upload.name }) : text.file_name_invalid);
      return;
    }
    status("info", fmt(forms.has(key) ? text.form_replaced : text.form_added, { key }));
    forms.set(key, content);
    touch();
    renderSettings();
  });

  $("add-dmn").addEventListener("click", async () => {
    const stem = field("add-dmn-name");
    const name = `${stem}.dmn`;
    if (!/^[a-z][a-z0-9_]*$/.test(stem)) {
      status("danger", text.file_name_invalid);
      return;
    }
    if (files.some((f) => f.name === name)) {
      status("danger", fmt(text.file_exists, { file: name }));
      return;
    }
    const xml = data.blank_dmn.replaceAll("DECISION_ID", stem).replaceAll("DECISION_NAME", stem);
    const file = await openDmn(name, xml);
    $("add-dmn-name").value = "";
    touch();
    showTab(file);
    renderFiles();
  });

  for (const id of ["m-key", "m-title-vi", "m-title-en", "s-title", "s-prefix", "s-label-vi", "s-label-en", "s-kind",
    "s-subject-vi", "s-subject-en", "m-defaults", "m-process-id"]) {
    $(id).addEventListener("input", touch);
  }

  window.addEventListener("beforeunload", (event) => {
    if (touched) {
      event.preventDefault();
      event.returnValue = text.leave;
    }
  });

  // The manifest's order, not the JSON block's (sorted) one: the lists are part of the version's hash.
  function inManifestOrder(kind) {
    const listed = (Array.isArray(base[kind]) ? base[kind] : []).filter((name) => name in original[kind]);
    return [...listed, ...Object.keys(original[kind]).filter((name) => !listed.includes(name))];
  }

  async function start() {
    try {
      for (const name of inManifestOrder("bpmn")) await openBpmn(name, original.bpmn[name]);
      for (const name of inManifestOrder("dmn")) await openDmn(name, original.dmn[name]);
    } catch (error) {
      status("danger", fmt(text.import_failed, { file: files.length ? files[files.length - 1].name : "", error: error.message }));
    }
    renderSettings();
    if (files.length) showTab(files[0]);
    $("validate").disabled = false;
    $("deploy").disabled = false;
    document.body.dataset.modelerReady = "true";
  }

  start();
})();
