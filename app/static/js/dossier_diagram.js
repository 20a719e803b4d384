// The dossier's diagram: the read-only bpmn-js viewer from the vendored camunda-bpmn-js, with the steps
// marked from what the server reports (done, open now, not reached yet). Data comes from data- attributes.
(() => {
  "use strict";

  const MARKERS = { completed: "step-done", active: "step-active", pending: "step-pending", ended: "step-end" };

  async function show(host) {
    const response = await fetch(host.dataset.url, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(String(response.status));
    const steps = await response.json();
    const viewer = new window.BpmnNavigatedViewer({ container: host });
    await viewer.importXML(steps.bpmn);
    const canvas = viewer.get("canvas");
    const registry = viewer.get("elementRegistry");
    canvas.zoom("fit-viewport", "auto");
    for (const [state, marker] of Object.entries(MARKERS)) {
      for (const id of steps[state] || []) {
        if (registry.get(id)) canvas.addMarker(id, marker);
      }
    }
    host.dataset.ready = "true";
  }

  for (const host of document.querySelectorAll("[data-dossier-diagram]")) {
    show(host).catch(() => {
      const note = document.createElement("p");
      note.className = "text-muted small m-2";
      note.textContent = host.dataset.error;
      host.replaceChildren(note);
      host.dataset.ready = "error";
    });
  }
})();
