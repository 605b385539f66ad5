/* The theme's script: the light/dark toggle, and keyboard access to boxes that scroll. */

/* Code and output boxes that are wider than the column scroll sideways; a keyboard user
   can only scroll a box that can take focus, so those (and only those) get a tab stop.
   Checked again when a fold opens (a box inside a closed <details> has no width) and when
   the window's width changes; a box that stops scrolling loses the tab stop it was given. */
(function () {
  var SCROLLING = "main pre, main .output_area, main .nb-chart";

  function check() {
    var boxes = document.querySelectorAll(SCROLLING);
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      var wide = box.scrollWidth > box.clientWidth + 1;
      if (wide && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        var code = box.tagName === "PRE" && !box.closest(".output_area");
        box.setAttribute("aria-label", code ? "Code (scrolls sideways)" : "Output (scrolls sideways)");
        box.setAttribute("data-nb-scrolls", "");
      } else if (!wide && box.hasAttribute("data-nb-scrolls")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
        box.removeAttribute("data-nb-scrolls");
      }
    }
  }

  var pending = null;
  function later() {
    if (pending === null) pending = window.requestAnimationFrame(function () { pending = null; check(); });
  }
  check();
  document.addEventListener("toggle", later, true); // <details> toggle events do not bubble: capture them
  window.addEventListener("resize", later);
  window.addEventListener("load", later); // after images and charts have their size
})();

/* Light/dark toggle. The page follows the system setting until the reader chooses;
   the choice is kept in localStorage and applied in <head> before the first paint. */
(function () {
  var root = document.documentElement;
  var button = document.getElementById("theme-toggle");
  if (!button) return;
  var media = window.matchMedia("(prefers-color-scheme: dark)");

  function current() {
    return root.dataset.theme || (media.matches ? "dark" : "light");
  }
  function show() {
    var dark = current() === "dark";
    button.setAttribute("aria-pressed", dark ? "true" : "false");
    button.textContent = dark ? "Light theme" : "Dark theme";
  }
  button.addEventListener("click", function () {
    var next = current() === "dark" ? "light" : "dark";
    root.dataset.theme = next;
    try { localStorage.setItem("theme", next); } catch (e) { /* private mode: choice lasts for this page */ }
    show();
  });
  media.addEventListener("change", show);
  show();
})();
