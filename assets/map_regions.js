// The map's regions, drawn in the browser: each mesh cell takes the cluster of its nearest 2-D
// centroid, exactly scikit-learn's rule (KMeans.predict: the smallest squared distance, the first
// cluster on a tie), on exactly the server's mesh (numpy's arange). The server sends only the k
// centroids, their tints and the mesh extent, so a mesh-step change needs no request at all.
// The raster becomes a run-length encoded 8-bit bitmap (a palette entry per cluster) placed as the
// figure's layout image: the same pixels as the server's picture of the first page.
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

  // An 8-bit, run-length encoded (BI_RLE8) bitmap of the labels, a palette entry per cluster. Its
  // rows run bottom-up, as the labels do; large single-coloured regions make it a few KB.
  function rleBitmap(labels, nx, ny, tints) {
    const runs = [];
    for (let row = 0; row < ny; row++) {
      const offset = row * nx;
      let col = 0;
      while (col < nx) {
        const value = labels[offset + col];
        let end = col + 1;
        while (end < nx && end - col < 255 && labels[offset + end] === value) end++;
        runs.push(end - col, value);
        col = end;
      }
      runs.push(0, 0);  // end of line
    }
    runs[runs.length - 1] = 1;  // the last end of line becomes end of bitmap
    const paletteBytes = 4 * tints.length, dataOffset = 14 + 40 + paletteBytes;
    const out = new Uint8Array(dataOffset + runs.length);
    const view = new DataView(out.buffer);
    out[0] = 0x42; out[1] = 0x4d;  // "BM"
    view.setUint32(2, out.length, true);
    view.setUint32(10, dataOffset, true);
    view.setUint32(14, 40, true);
    view.setInt32(18, nx, true);
    view.setInt32(22, ny, true);  // positive: bottom-up rows
    view.setUint16(26, 1, true);
    view.setUint16(28, 8, true);
    view.setUint32(30, 1, true);  // BI_RLE8
    view.setUint32(34, runs.length, true);
    view.setUint32(46, tints.length, true);
    tints.forEach((tint, i) => {
      const [r, g, b] = hexToRgb(tint);
      out.set([b, g, r, 0], 54 + 4 * i);
    });
    out.set(runs, dataOffset);
    let binary = "";
    for (let i = 0; i < out.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, out.subarray(i, i + 0x8000));
    }
    return "data:image/bmp;base64," + btoa(binary);
  }

  // The layout image the server used to send: a pixel per mesh cell, each centred on its point.
  function regionImage(regions, step) {
    const { xs, ys } = meshAxes(regions.extent, step);
    const labels = meshLabels(regions.centers, xs, ys);
    return {
      source: rleBitmap(labels, xs.length, ys.length, regions.tints),
      xref: "x", yref: "y",
      x: xs[0] - step / 2, y: ys[ys.length - 1] + step / 2,
      sizex: xs.length * step, sizey: ys.length * step,
      sizing: "stretch", layer: "below",
    };
  }

  window.kmeansRegions = { arange, meshAxes, meshLabels, rleBitmap, regionImage };
})();

// The map's clientside callbacks (callbacks/settings_map.py). A new fit, or a new mesh step, is a
// Patch of the figure's layout alone (the regions' picture, and for a fit the centroids' discs and
// names): dcc.Graph hands it to Plotly.react, which redraws those and leaves the points alone. A
// step the page cannot take by itself (not a number in range, or while the settings message is
// shown) goes to the server instead, through the mesh-check store, which answers with a message.
(function () {
  "use strict";
  const ns = (window.dash_clientside = window.dash_clientside || {});
  const TITLE = "K-means, live";

  // Python's format(step, "g") for the steps the page accepts.
  function formatStep(step) {
    return String(Number(step.toPrecision(6)));
  }

  function meshText(regions, step) {
    const { xs, ys } = window.kmeansRegions.meshAxes(regions.extent, step);
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

  // What the map shows now: the regions it was drawn from and the step.
  let shown = null;

  function regionsPatch(regions, step, withMarkers) {
    const patch = new ns.Patch().assign(["layout", "images", 0], window.kmeansRegions.regionImage(regions, step));
    if (withMarkers) {
      patch.assign(["layout", "shapes"], regions.shapes).assign(["layout", "annotations"], regions.annotations);
    }
    shown = { regions, step };
    return patch.build();
  }

  function settingsName() {
    const parts = [];
    new URLSearchParams(window.location.search).forEach((value, key) => parts.push(key + "-" + value));
    return ("kmeans-map_" + parts.join("_")).replace(/[^\w.+-]+/g, "-");
  }

  ns.kmeansMap = {
    // A new fit from the server: its regions at the page's step, and its centroids, in one update.
    onFit(regions, step) {
      const noUpdate = ns.no_update;
      if (!regions) return [noUpdate, noUpdate];
      // A fit the server sent for a step it has just checked is drawn at that step.
      const at = validStep(regions, step) ? step : regions.step;
      if (!validStep(regions, at)) return [noUpdate, noUpdate];
      return [regionsPatch(regions, at, true), meshText(regions, at)];
    },
    // A new mesh step: drawn here, with no request, when it is valid and no message is shown;
    // otherwise the server's validator words the message (or clears it, and sends the fit back).
    onStep(step, regions, messageHidden) {
      const noUpdate = ns.no_update;
      if (!regions) return [noUpdate, noUpdate, noUpdate];
      if (!validStep(regions, step) || messageHidden === false) {
        return [noUpdate, noUpdate, { step: step === undefined ? null : step, at: Date.now() }];
      }
      const now = shown || { regions, step: regions.step };
      if (now.regions === regions && now.step === step) return [noUpdate, noUpdate, noUpdate];
      writeStepToAddress(step);
      return [regionsPatch(regions, step, false), meshText(regions, step), noUpdate];
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
    // The card's PNG button: the map as Plotly draws it, with its settings as a title, at 2×.
    downloadPng(clicks) {
      const gd = document.querySelector("#boundary-graph .js-plotly-plot");
      if (!clicks || !gd || !window.Plotly) return ns.no_update;
      const caption = ["map-caption", "map-mesh"]
        .map((id) => (document.getElementById(id) || {}).textContent || "").filter(Boolean).join(" · ");
      const margin = Object.assign({}, gd.layout.margin, { t: 56 });
      const title = { text: TITLE + "<br><sup>" + caption.replace(/[<>&]/g, "") + "</sup>", x: 0.02, xanchor: "left" };
      window.Plotly.downloadImage({ data: gd.data, layout: Object.assign({}, gd.layout, { title, margin }) }, {
        format: "png", scale: 2, filename: settingsName(),
        width: gd.clientWidth || 900, height: (gd.clientHeight || 600) + 48,
      });
      return ns.no_update;
    },
  };
})();
