// The preview's part of every page `make serve` shows (never in output/): which of the
// server's reloads concern this page, and the last build's errors over the page.
(function () {
  "use strict";

  // output/'s file for this page: "/posts/a/" is posts/a/index.html.
  var path = decodeURIComponent(window.location.pathname).replace(/^\/+/, "");
  var pageFile = path === "" || path.endsWith("/") ? path + "index.html" : path;

  // A livereload.js plugin (it adds every window.LiveReloadPlugin* before it connects).
  // The server sends a reload for each output file that changed; this page reloads for its
  // own file and for scripts, livereload.js swaps stylesheets and images in place, and every
  // other page's file (and the feeds, the search index...) is left alone.
  function PreviewReloads() {}
  PreviewReloads.identifier = "notebook-blog-preview";
  PreviewReloads.version = "1.0";
  PreviewReloads.prototype.reload = function (changed) {
    if (/\.(css|css\.map|jpe?g|png|gif|js)$/i.test(changed)) {
      return false;
    }
    return changed !== pageFile;
  };
  window.LiveReloadPluginNotebookBlogPreview = PreviewReloads;

  function showErrors(errors) {
    var box = document.getElementById("preview-build-errors");
    if (errors.length === 0) {
      if (box) box.remove();
      return;
    }
    if (!box) {
      box = document.createElement("div");
      box.id = "preview-build-errors";
      box.setAttribute("role", "alert");
      box.style.cssText =
        "position:fixed;left:0;right:0;bottom:0;z-index:2147483647;margin:0;padding:0.75em 1em;" +
        "background:#8b1a1a;color:#fff;font:14px/1.4 monospace;white-space:pre-wrap;";
      document.body.appendChild(box);
    }
    box.textContent = "The last build failed; this page is from the build before.\n" + errors.join("\n");
  }

  // The server says the build's errors when this page connects and after every build.
  function listen() {
    var socket = new WebSocket("ws://" + window.location.host + "/preview-status");
    socket.onmessage = function (message) {
      showErrors(JSON.parse(message.data).errors);
    };
    socket.onclose = function () {
      window.setTimeout(listen, 1000);
    };
  }
  if (document.body) {
    listen();
  } else {
    document.addEventListener("DOMContentLoaded", listen);
  }
})();
