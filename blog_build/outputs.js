// Draws the notebook outputs that plugins/interactive_outputs left as data (Plotly figures,
// Bokeh plots, Vega and Vega-Lite charts) and names the controls that ipywidgets draws without a name.
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

  // Bokeh plots: BokehJS draws each document's roots into the elements our template wrote
  // with the ids its render items name.
  for (const output of document.querySelectorAll(".nb-bokeh")) {
    const { docs_json: docs, render_items: items } = read(output);
    window.Bokeh.embed.embed_items(docs, items).catch(
      (error) => { output.textContent = `This plot could not be drawn: ${error.message}`; },
    );
  }

  for (const output of document.querySelectorAll(".nb-vega")) {
    const options = { mode: output.dataset.mode, actions: { export: true, source: false, compiled: false, editor: false } };
    window.vegaEmbed(canvas(output), read(output), options).then(
      () => {
        output.querySelector("summary")?.setAttribute("aria-label", "Save this chart as an image");
        // The output is a named figure; Vega's SVG marks without a label of their own would
        // each be an unnamed image to a screen reader.
        const unnamed = () => {
          const marks = output.querySelectorAll('svg [role="graphics-symbol"]:not([aria-label]), svg [role="img"]:not([aria-label])');
          for (const mark of marks) mark.setAttribute("aria-hidden", "true");
        };
        unnamed();
        new MutationObserver(unnamed).observe(output, { childList: true, subtree: true });
      },
      (error) => { output.textContent = `This chart could not be drawn: ${error.message}`; },
    );
  }

  // ipywidgets draws some controls without a name a screen reader could say: slider handles
  // (role="slider"), the Play widget's icon-only buttons, colour pickers and text boxes whose
  // label is a sibling element, Image widgets, tabs with no title. Name each from the
  // widget's own label, else from what it is.
  const ICON_NAMES = {
    "fa-play": "Play", "fa-pause": "Pause", "fa-stop": "Stop", "fa-retweet": "Repeat", "fa-repeat": "Repeat",
  };
  const hasName = (element) =>
    element.getAttribute("aria-label") || element.getAttribute("aria-labelledby") || element.title ||
    (element.tagName === "BUTTON" && element.textContent.trim()) ||
    (element.id && document.querySelector(`label[for="${CSS.escape(element.id)}"]`)?.innerText.trim());
  const widgetLabel = (element) =>
    element.closest(".jupyter-widgets")?.querySelector(":scope > .widget-label")?.textContent.trim();
  const kindOf = (control) => {
    if (control.type === "color") return "Colour";
    if (control.getAttribute("role") === "slider") return "Slider";
    return control.tagName === "BUTTON" ? "Button" : "Input";
  };
  // ipywidgets 7's sliders (jQuery UI) draw their handle as a bare focusable <span>.
  const describeHandles = () => {
    for (const handle of document.querySelectorAll(".output_widget_view .ui-slider-handle")) {
      const readout = handle.closest(".widget-slider")?.querySelector(".widget-readout")?.textContent.trim() ?? "";
      handle.setAttribute("role", "slider");
      handle.setAttribute("aria-valuenow", Number.isFinite(parseFloat(readout)) ? parseFloat(readout) : 0);
      handle.setAttribute("aria-valuetext", readout);
    }
  };
  const nameWidgets = () => {
    describeHandles();
    const controls = '.output_widget_view :is([role="slider"], button, input, select, textarea)';
    for (const control of document.querySelectorAll(controls)) {
      if (hasName(control) || control.type === "hidden") continue;
      const icon = [...(control.querySelector("i")?.classList || [])].find((name) => ICON_NAMES[name]);
      const label = widgetLabel(control) || control.closest(".widget-slider")?.querySelector(".widget-label")?.textContent.trim();
      const name = (icon && ICON_NAMES[icon]) || label || control.placeholder || kindOf(control);
      control.setAttribute("aria-label", name);
    }
    for (const image of document.querySelectorAll(".output_widget_view img:not([alt])")) image.alt = "Image widget";
    const tabs = document.querySelectorAll('.output_widget_view [role="tab"]');
    for (const [index, tab] of [...tabs].entries()) {
      if (!tab.textContent.trim() && !tab.getAttribute("aria-label")) tab.setAttribute("aria-label", `Tab ${index + 1}`);
    }
  };
  for (const view of document.querySelectorAll(".output_widget_view")) {
    // Attributes too: a moved handle changes its style, and its value must follow.
    new MutationObserver(nameWidgets).observe(view, { childList: true, subtree: true, attributeFilter: ["style"] });
  }
})();
