// The map's clientside callbacks (callbacks/settings_map.py): a new fit or mesh step paints the
// regions' canvas; both layers are placed on the plot whenever the plot moves (zoom, pan, a
// resize), through Plotly's public events. Once a picture is on screen the map stack sends a
// `kmeans-map-drawn` event (benchmarks and tests wait for it). A step the page cannot take by itself
// (not a number in range, or while the settings message is shown) goes to the server instead,
// through the mesh-check store, which answers with a message. The drawing itself is
// assets/map_regions.js (window.kmeansRegions), read only when a callback runs.
(function () {
  "use strict";
  const ns = (window.dash_clientside = window.dash_clientside || {});
  const R = () => window.kmeansRegions;
  const TITLE = "K-means, live";
  let shown = null; // { regions, step, xs, ys }: what the regions' canvas holds

  // Python's format(step, "g") for the steps the page accepts.
  function formatStep(step) {
    return String(Number(step.toPrecision(6)));
  }

  function meshText(regions, step) {
    const { xs, ys } = R().meshAxes(regions.extent, step);
    const grouped = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return `step ${formatStep(step)} = ${grouped(xs.length)}×${grouped(ys.length)} cells`;
  }

  function validStep(regions, step) {
    const [finest, coarsest] = regions.mesh_range;
    return typeof step === "number" && Number.isFinite(step) && step >= finest && step <= coarsest;
  }

  function writeStepToAddress(step) {
    if (!window.location.search) return;
    const params = new URLSearchParams(window.location.search);
    params.set("mesh", String(step));
    window.history.replaceState(window.history.state, "",
                                window.location.pathname + "?" + params.toString() + window.location.hash);
  }

  const graphDiv = () => document.querySelector("#boundary-graph .js-plotly-plot");
  const zoomOf = () => (document.documentElement.classList.contains("presenter") ? 1.35 : 1);

  // Both layers onto the plot area, as the plot now stands.
  function place() {
    const gd = graphDiv(), clip = document.getElementById("map-regions-clip");
    const regionsCanvas = document.getElementById("map-regions-canvas");
    const markersCanvas = document.getElementById("map-markers-canvas");
    if (!shown || !gd || !clip || !regionsCanvas || !markersCanvas || !gd.layout || !gd.layout.xaxis) return;
    const area = R().plotArea(gd);
    const stack = clip.parentElement.getBoundingClientRect(), plot = gd.getBoundingClientRect();
    const left = plot.left - stack.left + area.left, top = plot.top - stack.top + area.top;
    for (const layer of [clip, markersCanvas]) {
      Object.assign(layer.style, { left: `${left}px`, top: `${top}px`, width: `${area.width}px`,
                                   height: `${area.height}px` });
    }
    const { xs, ys, step } = shown;
    Object.assign(regionsCanvas.style, {
      left: `${(xs[0] - step / 2 - area.xMin) * area.scale}px`,
      top: `${(area.yMax - (ys[ys.length - 1] + step / 2)) * area.scale}px`,
      width: `${xs.length * step * area.scale}px`, height: `${ys.length * step * area.scale}px`,
    });
    const ratio = window.devicePixelRatio || 1;
    markersCanvas.width = Math.round(area.width * ratio);
    markersCanvas.height = Math.round(area.height * ratio);
    const context = markersCanvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    R().drawMarkers(context, shown.regions.markers, area, zoomOf());
    describe(regionsCanvas, markersCanvas);
    requestAnimationFrame(() => clip.parentElement.dispatchEvent(
      new CustomEvent("kmeans-map-drawn", { bubbles: true, detail: { fit: shown.regions.fit, step: shown.step } })));
  }

  // What the layers show, in words and numbers: the centroids for screen readers, and for tests
  // and benchmarks the fit, the step and where the picture's mesh sits in data coordinates.
  function describe(regionsCanvas, markersCanvas) {
    const { regions, step, xs, ys } = shown;
    regionsCanvas.dataset.fit = JSON.stringify(regions.fit);
    regionsCanvas.dataset.step = String(step);
    regionsCanvas.dataset.placement = JSON.stringify([xs[0] - step / 2, ys[ys.length - 1] + step / 2,
                                                      xs.length * step, ys.length * step]);
    markersCanvas.dataset.centroids = JSON.stringify(regions.markers.map((m) => [m.x, m.y]));
    markersCanvas.setAttribute("aria-label", "Centroids: " + regions.markers
      .map((m) => m.name + (m.note || m.mixed ? ` (${[m.note, m.mixed ? "mixed" : ""].filter(Boolean).join(", ")})` : ""))
      .join("; "));
  }

  function paint(regions, step) {
    const canvas = document.getElementById("map-regions-canvas");
    if (!canvas) return false;
    const { xs, ys } = R().paintRegions(canvas, regions, step);
    shown = { regions, step, xs, ys };
    watchPlot();
    place();
    return true;
  }

  // Zoom, pan, double-click, a new figure or a resized window move the plot: the layers follow.
  function watchPlot() {
    const gd = graphDiv();
    if (!gd || typeof gd.on !== "function" || gd.dataset.layersFollow) return;
    gd.dataset.layersFollow = "1";
    gd.on("plotly_relayout", place);
    gd.on("plotly_afterplot", place);
  }
  new MutationObserver(() => { if (graphDiv() && shown) { watchPlot(); } })
    .observe(document.documentElement, { childList: true, subtree: true });
  window.addEventListener("resize", () => requestAnimationFrame(place));

  // Enter in the mesh-step field draws the step at once, before Dash's callback for the new value
  // runs (onStep below, which then finds it drawn): only a valid step, with no message shown, on
  // the regions already on screen; anything else is left to that callback.
  document.addEventListener("keydown", (event) => {
    const field = event.target;
    if (event.key !== "Enter" || !field || field.id !== "mesh-step" || !shown || !ns.set_props) return;
    const step = field.valueAsNumber, message = document.getElementById("settings-message");
    if (!validStep(shown.regions, step) || (message && !message.hidden) || step === shown.step) return;
    if (!paint(shown.regions, step)) return;
    writeStepToAddress(step);
    ns.set_props("map-mesh", { children: meshText(shown.regions, step) });
  }, true);

  // The fit's regions are JSON on the regions' clip box (components/boundary_figure.py map_stack).
  const parsed = (text) => (typeof text === "string" && text ? JSON.parse(text) : null);
  // The first page's regions carry no check stamp; the server's carry null or one.
  const sameFit = (a, b) => JSON.stringify(a.fit) === JSON.stringify(b.fit) && (a.check ?? null) === (b.check ?? null);

  // This fit at this step on the canvas: already there, or painted now (false if it cannot be).
  const ensureDrawn = (regions, step) =>
    (shown && sameFit(shown.regions, regions) && shown.step === step) || paint(regions, step);

  // A new fit is drawn as soon as React writes the server's answer into the page, in the commit
  // that writes the map's caption: the attribute's change is seen then, a round of Dash's
  // callbacks before onFit runs. onFit then finds it drawn (and still writes the mesh's caption).
  new MutationObserver((changes) => {
    const regions = parsed(changes[changes.length - 1].target.dataset.regions);
    if (!regions || (shown && sameFit(shown.regions, regions))) return;
    // At the step on screen, unless the server has just checked another for this fit.
    const at = !regions.check && shown && validStep(regions, shown.step) ? shown.step : regions.step;
    if (validStep(regions, at)) paint(regions, at);
  }).observe(document.documentElement, { attributes: true, attributeFilter: ["data-regions"], subtree: true });

  ns.kmeansMap = {
    // A new fit from the server (and the first page's): its regions at the page's step.
    onFit(regionsText, step) {
      const regions = parsed(regionsText);
      if (!regions) return ns.no_update;
      // A fit the server sent for a step it has just checked is drawn at that step.
      const at = validStep(regions, step) ? step : regions.step;
      return validStep(regions, at) && ensureDrawn(regions, at) ? meshText(regions, at) : ns.no_update;
    },
    // A new mesh step: drawn here, with no request, when it is valid and no message is shown;
    // otherwise the server's validator words the message (or clears it, and sends the fit back).
    onStep(step, regionsText, messageHidden) {
      const noUpdate = ns.no_update, regions = parsed(regionsText);
      if (!regions) return [noUpdate, noUpdate];
      if (!validStep(regions, step) || messageHidden === false) {
        return [noUpdate, { step: step === undefined ? null : step, at: Date.now() }];
      }
      writeStepToAddress(step);
      return ensureDrawn(regions, step) ? [meshText(regions, step), noUpdate] : [noUpdate, noUpdate];
    },
    // A note on the map when its 2-D refit names its clusters otherwise than the table's model,
    // or gives a name it shares with it other contents ("5 · mostly 7s" on the map, "5 · mostly 2s" in the gallery).
    namesNote(mapClusters, modelClusters) {
      if (!mapClusters || !modelClusters) return ["", true];
      const labelOf = (clusters) => new Map(clusters.names.map((name, i) => [name, clusters.labels[i]]));
      const mine = labelOf(mapClusters), theirs = labelOf(modelClusters);
      const onlyHere = [...mine.keys()].filter((n) => !theirs.has(n)).sort();
      const onlyThere = [...theirs.keys()].filter((n) => !mine.has(n)).sort();
      const otherwise = [...mine.keys()].filter((n) => theirs.has(n) && mine.get(n) !== theirs.get(n)).sort();
      const parts = [];
      if (onlyHere.length || onlyThere.length) {
        parts.push(`it has ${onlyHere.join(", ") || "no other"} where the table's model has `
                   + `${onlyThere.join(", ") || "no other"}`);
      }
      if (otherwise.length) {
        parts.push(otherwise.map((n) => `“${mine.get(n)}” on the map is “${theirs.get(n)}” in the table's model`)
          .join("; "));
      }
      if (!parts.length) return ["", true];
      return [`The map is a 2-D refit and names its clusters on its own: ${parts.join("; ")}.`, false];
    },
    // The card's PNG button: the regions, the plot Plotly draws (Plotly.toImage) and the centroids,
    // with the dataset and the settings as a title, at 2×.
    downloadPng(clicks) {
      const gd = graphDiv(), regionsCanvas = document.getElementById("map-regions-canvas");
      if (!clicks || !gd || !shown || !regionsCanvas || !window.Plotly) return ns.no_update;
      const scale = 2, band = 48, width = gd.clientWidth, height = gd.clientHeight;
      const caption = ["map-caption", "map-mesh"]
        .map((id) => (document.getElementById(id) || {}).textContent || "").filter(Boolean).join(" · ");
      window.Plotly.toImage(gd, { format: "png", width, height, scale }).then((url) => {
        const plot = new Image();
        plot.onload = () => {
          const out = document.createElement("canvas");
          out.width = width * scale;
          out.height = (height + band) * scale;
          const context = out.getContext("2d");
          context.scale(scale, scale);
          context.fillStyle = "#ffffff";
          context.fillRect(0, 0, width, height + band);
          context.fillStyle = "#1d2330";
          context.font = `600 16px system-ui, sans-serif`;
          context.fillText(`${TITLE} · ${shown.regions.title}`, 12, 22);
          context.font = `12px system-ui, sans-serif`;
          context.fillText(caption, 12, 40);
          context.translate(0, band);
          const area = R().plotArea(gd), { xs, ys, step } = shown;
          context.save();
          context.beginPath();
          context.rect(area.left, area.top, area.width, area.height);
          context.clip();
          context.imageSmoothingEnabled = false;
          context.drawImage(regionsCanvas, area.left + (xs[0] - step / 2 - area.xMin) * area.scale,
                            area.top + (area.yMax - (ys[ys.length - 1] + step / 2)) * area.scale,
                            xs.length * step * area.scale, ys.length * step * area.scale);
          context.restore();
          context.drawImage(plot, 0, 0, width, height);
          context.translate(area.left, area.top);
          R().drawMarkers(context, shown.regions.markers, area, 1);
          out.toBlob((blob) => {
            const link = document.createElement("a");
            link.href = URL.createObjectURL(blob);
            // Named after the map drawn: its fit (components/boundary_figure.py) and its step.
            link.download = `${shown.regions.png_stem}_step-${String(shown.step).replace(/[^\w.+-]+/g, "_")}.png`;
            link.click();
            setTimeout(() => URL.revokeObjectURL(link.href), 1000);
          }, "image/png");
        };
        plot.src = url;
      });
      return ns.no_update;
    },
  };
})();
