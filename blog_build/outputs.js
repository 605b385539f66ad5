// Draws the notebook outputs that plugins/interactive_outputs left as data (Plotly figures,
// Vega and Vega-Lite charts) and names the controls that ipywidgets draws without a name.
// Loaded deferred after the libraries, so each is defined by the time this runs.
(() => {
  "use strict";
  const read = (output) => JSON.parse(output.querySelector('script[type="application/json"]').textContent);
  const canvas = (output) => output.appendChild(document.createElement("div"));
  // Where the site keeps the maps of geo charts, on pages that draw one; plotly.js would
  // fetch them from its CDN.
  const topojsonURL = document.currentScript.dataset.topojson;

  for (const output of document.querySelectorAll(".nb-plotly")) {
    const figure = read(output);
    const config = { responsive: true, displaylogo: false, ...(figure.config || {}), ...(topojsonURL && { topojsonURL }) };
    window.Plotly.newPlot(canvas(output), figure.data || [], figure.layout || {}, config);
  }

  for (const output of document.querySelectorAll(".nb-vega")) {
    const options = { mode: output.dataset.mode, actions: { export: true, source: false, compiled: false, editor: false } };
    window.vegaEmbed(canvas(output), read(output), options).then(
      () => output.querySelector("summary")?.setAttribute("aria-label", "Save this chart as an image"),
      (error) => { output.textContent = `This chart could not be drawn: ${error.message}`; },
    );
  }

  // A widget's slider handle carries role="slider" but not the widget's description; give
  // it that, so a screen reader says what the slider sets.
  const nameSliders = () => {
    for (const handle of document.querySelectorAll('.output_widget_view [role="slider"]:not([aria-label])')) {
      const label = handle.closest(".widget-slider")?.querySelector(".widget-label")?.textContent.trim();
      handle.setAttribute("aria-label", label || "Slider");
    }
  };
  for (const view of document.querySelectorAll(".output_widget_view")) {
    new MutationObserver(nameSliders).observe(view, { childList: true, subtree: true });
  }
})();
