// The review step's side panel (dossiers/_review.html).
// - A file of the evidence list opens in the panel's viewer instead of a new tab, so the task is never
//   left: an image as <img>, a PDF in a frame of its sandboxed "view" URL, the same elements the server
//   draws for the first file. The caption, which names the file and its criterion, is announced.
// - Under 768 px the form, the evidence and the scores become tabs (WAI-ARIA tabs: arrows, Home and End
//   move between them); from 768 px they stand side by side and the tab roles are taken off again.
(function () {
  "use strict";

  const review = document.querySelector("[data-review]");
  if (!review) return;

  const stage = review.querySelector("[data-evidence-stage]");
  const caption = review.querySelector("[data-evidence-caption]");
  const openLink = review.querySelector("[data-evidence-open]");
  const downloadLink = review.querySelector("[data-evidence-download]");
  const items = Array.from(review.querySelectorAll("[data-evidence-show]"));

  function show(item) {
    const text = item.dataset.caption;
    let shown;
    if (item.dataset.kind === "pdf") {
      shown = document.createElement("iframe");
      shown.className = "evidence-frame";
      shown.title = text;
      shown.dataset.testid = "evidence-frame";
    } else {
      shown = document.createElement("img");
      shown.className = "evidence-image";
      shown.alt = text;
      shown.dataset.testid = "evidence-image";
    }
    shown.src = item.href;
    stage.replaceChildren(shown);
    caption.textContent = text;
    openLink.href = item.href;
    downloadLink.href = item.dataset.download;
    items.forEach((other) => other.removeAttribute("aria-current"));
    item.setAttribute("aria-current", "true");
  }

  items.forEach((item) => {
    item.addEventListener("click", (event) => {
      // A modified click still opens the file in a new tab, as a link does.
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      show(item);
    });
  });

  const strip = review.querySelector("[data-review-tabs]");
  const tabs = Array.from(strip.querySelectorAll("[role=tab]"));
  const panes = tabs.map((tab) => document.getElementById(tab.getAttribute("aria-controls")));
  const phone = window.matchMedia("(max-width: 767.98px)");

  function select(index, focus) {
    tabs.forEach((tab, at) => {
      const chosen = at === index;
      tab.classList.toggle("active", chosen);
      tab.setAttribute("aria-selected", String(chosen));
      tab.tabIndex = chosen ? 0 : -1;
      panes[at].classList.toggle("is-active", chosen);
    });
    if (focus) tabs[index].focus();
  }

  function layout() {
    const tabbed = phone.matches;
    review.classList.toggle("review-tabbed", tabbed);
    strip.hidden = !tabbed;
    panes.forEach((pane, at) => {
      if (tabbed) {
        pane.setAttribute("role", "tabpanel");
        pane.setAttribute("aria-labelledby", tabs[at].id);
        pane.tabIndex = 0;
      } else {
        pane.removeAttribute("role");
        pane.removeAttribute("tabindex");
        // The sections keep their own headings as names; the form's column has none to keep.
        if (pane.tagName === "SECTION") pane.setAttribute("aria-labelledby", pane.id + "-title");
        else pane.removeAttribute("aria-labelledby");
      }
    });
  }

  tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => select(index, false));
    tab.addEventListener("keydown", (event) => {
      const moves = {
        ArrowRight: (index + 1) % tabs.length,
        ArrowLeft: (index - 1 + tabs.length) % tabs.length,
        Home: 0,
        End: tabs.length - 1,
      };
      if (!(event.key in moves)) return;
      event.preventDefault();
      select(moves[event.key], true);
    });
  });

  phone.addEventListener("change", layout);
  layout();
})();
