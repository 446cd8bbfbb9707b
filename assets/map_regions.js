// The map's regions and named centroids, drawn by the page on two canvases of its own, under and
// over the Plotly scatter of the samples (components/boundary_figure.py, map_stack).
//
// Each mesh cell takes the cluster of its nearest 2-D centroid, exactly scikit-learn's rule
// (KMeans.predict: the smallest squared distance, the first cluster on a tie), on exactly the
// server's mesh (numpy's arange). The server sends only the k centroids, their tints and the mesh
// extent, so a mesh-step change needs no request at all. The regions' canvas holds one pixel per
// mesh cell, and is placed (CSS) over the mesh's extent on the plot; a browser test reads it back
// and compares it with KMeans.predict cell for cell.
(function () {
  "use strict";

  // numpy.arange(start, stop, step) for floats: n = ceil((stop - start) / step) values, the
  // first two start and start + step, then start + i * delta with delta = (start + step) - start.
  function arange(start, stop, step) {
    const n = Math.max(0, Math.ceil((stop - start) / step));
    const values = new Float64Array(n);
    if (n > 0) values[0] = start;
    if (n > 1) values[1] = start + step;
    const delta = (start + step) - start;
    for (let i = 2; i < n; i++) values[i] = start + i * delta;
    return values;
  }

  // core.boundary.mesh: arange from min, run on until the last cell (centred on its point) reaches max.
  function meshAxes(extent, step) {
    const [xMin, xMax, yMin, yMax] = extent;
    return { xs: arange(xMin, xMax + step / 2, step), ys: arange(yMin, yMax + step / 2, step) };
  }

  // Cluster of every mesh cell, rows bottom-up (ys ascending), as KMeans.predict on the mesh points.
  // Along a row, cluster m can overtake the nearest cluster j only where the line
  // d_m(x) - d_j(x) = 0 crosses, and only moving towards m (cx_m > cx_j). So each row is filled
  // in runs: the cells safely before the nearest crossing (by a margin far above rounding) take j
  // unexamined; every other cell is computed exactly, all k distances, as scikit-learn does.
  const MARGIN = 1e-7;  // in squared distance; rounding errors here are ~1e-13
  function meshLabels(centers, xs, ys) {
    const k = centers.length, nx = xs.length, ny = ys.length;
    const cx = new Float64Array(k), cy = new Float64Array(k), dy2 = new Float64Array(k);
    for (let j = 0; j < k; j++) { cx[j] = centers[j][0]; cy[j] = centers[j][1]; }
    const labels = new Uint8Array(nx * ny);
    const x0 = xs[0], delta = nx > 1 ? xs[nx - 1] - xs[0] : 1, span = Math.max(nx - 1, 1);
    for (let row = 0; row < ny; row++) {
      for (let j = 0; j < k; j++) { const d = ys[row] - cy[j]; dy2[j] = d * d; }
      const offset = row * nx;
      let col = 0;
      while (col < nx) {
        const x = xs[col];
        let best = 0, d = x - cx[0], bestDistance = d * d + dy2[0];
        for (let j = 1; j < k; j++) {
          d = x - cx[j];
          const distance = d * d + dy2[j];
          if (distance < bestDistance) { bestDistance = distance; best = j; }
        }
        labels[offset + col] = best;
        // The first x where another cluster comes within MARGIN of `best`.
        let limit = Infinity;
        const own = cx[best] * cx[best] + dy2[best];
        for (let m = 0; m < k; m++) {
          const slope = 2 * (cx[m] - cx[best]);
          if (slope <= 0) continue;  // never closer further right (or equally far all along)
          const crossing = (cx[m] * cx[m] + dy2[m] - own - MARGIN) / slope;
          if (crossing < limit) limit = crossing;
        }
        // Cells after `col` whose x is below the limit keep `best`.
        let last = col;
        if (limit > x) {
          last = limit === Infinity ? nx - 1
            : Math.min(nx - 1, Math.floor((limit - x0) / delta * span) + 1);
          while (last > col && !(xs[last] < limit)) last--;
        }
        if (last > col) labels.fill(best, offset + col + 1, offset + last + 1);
        col = last + 1;
      }
    }
    return labels;
  }

  function hexToRgb(hex) {
    const value = parseInt(hex.slice(1), 16);
    return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
  }

  // Paints the regions into `canvas`, one pixel per mesh cell, the top row the mesh's highest y.
  function paintRegions(canvas, regions, step) {
    const { xs, ys } = meshAxes(regions.extent, step);
    const nx = xs.length, ny = ys.length;
    const labels = meshLabels(regions.centers, xs, ys);
    canvas.width = nx;
    canvas.height = ny;
    const context = canvas.getContext("2d");
    const image = context.createImageData(nx, ny);
    // One 32-bit word per pixel, bytes R, G, B, A in memory order (either endianness).
    const pixels = new Uint32Array(image.data.buffer), bytes = new Uint8Array(4), word = new Uint32Array(bytes.buffer);
    const colours = Uint32Array.from(regions.tints, (tint) => {
      bytes.set([...hexToRgb(tint), 255]);
      return word[0];
    });
    for (let row = 0; row < ny; row++) {
      const from = (ny - 1 - row) * nx, to = row * nx;
      for (let col = 0; col < nx; col++) pixels[to + col] = colours[labels[from + col]];
    }
    context.putImageData(image, 0, 0);
    return { xs, ys };
  }

  // The plot area inside the graph's div, from the figure's own margins and axis ranges: x and y
  // share one scale (scaleanchor), so the axis with less room sets it, and the area is centred.
  function plotArea(gd) {
    const layout = gd.layout, margin = layout.margin || {};
    const [x0, x1] = layout.xaxis.range, [y0, y1] = layout.yaxis.range;
    const width = gd.clientWidth - (margin.l || 0) - (margin.r || 0);
    const height = gd.clientHeight - (margin.t || 0) - (margin.b || 0);
    const scale = Math.min(width / Math.abs(x1 - x0), height / Math.abs(y1 - y0));
    const left = (margin.l || 0) + (width - scale * Math.abs(x1 - x0)) / 2;
    const top = (margin.t || 0) + (height - scale * Math.abs(y1 - y0)) / 2;
    const areaWidth = scale * Math.abs(x1 - x0), areaHeight = scale * Math.abs(y1 - y0);
    return { left, top, scale, width: areaWidth, height: areaHeight, right: left + areaWidth,
             bottom: top + areaHeight, xMin: Math.min(x0, x1), yMax: Math.max(y0, y1) };
  }

  const DISC_RADIUS = 12, FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";

  // The centroids: a disc in its class's colour (a dotted ring when mixed), its name on it (in a
  // box of that colour when the name is wider than the disc), and its note under it.
  function drawMarkers(context, markers, area, zoom) {
    const radius = DISC_RADIUS * zoom;
    context.textAlign = "center";
    context.textBaseline = "middle";
    for (const marker of markers) {
      const x = (marker.x - area.xMin) * area.scale, y = (area.yMax - marker.y) * area.scale;
      if (x < -radius || y < -radius || x > area.width + radius || y > area.height + radius) continue;
      context.beginPath();
      context.arc(x, y, radius, 0, 2 * Math.PI);
      context.fillStyle = marker.colour;
      context.fill();
      context.lineWidth = (marker.mixed ? 2.5 : 1.5) * zoom;
      context.setLineDash(marker.mixed ? [2.5 * zoom, 2 * zoom] : []);
      context.strokeStyle = "#1b1b1b";
      context.stroke();
      context.setLineDash([]);
      context.font = `600 ${13 * zoom}px ${FONT}`;
      const width = context.measureText(marker.name).width;
      if (width > 2 * radius - 4) {
        context.fillStyle = marker.colour;
        context.fillRect(x - width / 2 - 3, y - 9 * zoom, width + 6, 18 * zoom);
      }
      context.fillStyle = marker.ink;
      context.fillText(marker.name, x, y + 0.5);
      if (marker.note) {
        context.font = `${11 * zoom}px ${FONT}`;
        const noteWidth = context.measureText(marker.note).width, noteY = y + radius + 9 * zoom;
        context.fillStyle = "rgba(255, 255, 255, 0.85)";
        context.fillRect(x - noteWidth / 2 - 3, noteY - 7 * zoom, noteWidth + 6, 14 * zoom);
        context.fillStyle = "#1b1b1b";
        context.fillText(marker.note, x, noteY);
      }
    }
  }

  window.kmeansRegions = { arange, meshAxes, meshLabels, paintRegions, plotArea, drawMarkers };
})();

// The map's clientside callbacks (callbacks/settings_map.py): a new fit or mesh step paints the
// regions' canvas; both layers are placed on the plot whenever the plot moves (zoom, pan, a
// resize), through Plotly's public events. Once a picture is on screen the map stack sends a
// `kmeans-map-drawn` event (benchmarks and tests wait for it). A step the page cannot take by itself
// (not a number in range, or while the settings message is shown) goes to the server instead,
// through the mesh-check store, which answers with a message.
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
    // A note on the map when its 2-D refit names its clusters otherwise than the table's model.
    namesNote(mapClusters, modelClusters) {
      if (!mapClusters || !modelClusters) return ["", true];
      const mine = new Set(mapClusters.names), theirs = new Set(modelClusters.names);
      const onlyHere = [...mine].filter((n) => !theirs.has(n)).sort();
      const onlyThere = [...theirs].filter((n) => !mine.has(n)).sort();
      if (!onlyHere.length && !onlyThere.length) return ["", true];
      return [`The map is a 2-D refit and names its clusters on its own: it has ${onlyHere.join(", ") || "no other"}`
              + ` where the table's model has ${onlyThere.join(", ") || "no other"}.`, false];
    },
    // The card's PNG button: the regions, the plot Plotly draws (Plotly.toImage) and the centroids,
    // with the settings as a title, at 2×.
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
          context.fillText(TITLE, 12, 22);
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
