// Keyboard shortcuts on a task page opened from the inbox: J opens the next task of the list, K the
// previous one, U goes back to the list (the links carry aria-keyshortcuts and the page names the keys).
// Single letters, as in mail readers: Alt+arrows already mean back and forward in browsers. They act
// only when the focus is not in a field, so typing a J or a K into an answer never leaves the page.
(function () {
  "use strict";

  const nav = document.querySelector("[data-task-nav]");
  if (!nav) return;
  const KEYS = { j: "next", k: "previous", u: "list" };
  const FIELDS = "input, textarea, select, [contenteditable]:not([contenteditable='false'])";

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.isComposing) return;
    if (event.target instanceof Element && event.target.closest(FIELDS)) return;
    const target = KEYS[event.key.toLowerCase()];
    const link = target && nav.querySelector(`[data-nav="${target}"]`);
    if (!link) return;
    event.preventDefault();
    link.click();
  });
})();
