/* The theme's script: the light/dark toggle, and keyboard access to boxes that scroll. */

/* Code and output boxes that are wider than the column scroll sideways; a keyboard user
   can only scroll a box that can take focus, so those (and only those) get a tab stop. */
(function () {
  var boxes = document.querySelectorAll("main pre, main .output_area");
  for (var i = 0; i < boxes.length; i++) {
    var box = boxes[i];
    if (box.scrollWidth > box.clientWidth + 1 && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", box.tagName === "PRE" ? "Code (scrolls sideways)" : "Output (scrolls sideways)");
    }
  }
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
