// The map's regions, drawn in the browser: each mesh cell takes the cluster of its nearest 2-D
// centroid, exactly scikit-learn's rule (KMeans.predict: the smallest squared distance, the first
// cluster on a tie), on exactly the server's mesh (numpy's arange). The server sends only the k
// centroids, their tints and the mesh extent, so a mesh-step change needs no request at all.
// The raster becomes a palette PNG (one byte per cell, deflated by the browser's own zlib) placed
// as the figure's layout image: the same picture the server used to send.
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

// The map's clientside callback (callbacks/refresh.py): draws the regions when the server sends a
// new fit (with its centroid markers, in the same Plotly update) or when the mesh step changes. A
// step the page cannot take by itself (not a number in range, or while the settings message is
// shown) goes to the server instead, through the mesh-check store, which answers with a message.
(function () {
  "use strict";
  const ns = (window.dash_clientside = window.dash_clientside || {});

  // Python's format(step, "g") for the steps the page accepts (0.014 to 1).
  function formatStep(step) {
    return String(Number(step.toPrecision(6)));
  }

  function meshText(regions, step) {
    const { xs, ys } = window.kmeansRegions.meshAxes(regions.extent, step);
    const grouped = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); // toLocaleString: ~4 ms
    return `step ${formatStep(step)} = ${grouped(xs.length)}×${grouped(ys.length)} cells`;
  }

  function validStep(regions, step) {
    const [finest, coarsest] = regions.mesh_range;
    return typeof step === "number" && Number.isFinite(step) && step >= finest && step <= coarsest;
  }

  function image(regions, step) {
    return window.kmeansRegions.regionImage(regions, step);
  }

  // What the map shows now: the regions it was drawn from and the step (the first page shows the
  // server's picture at the step in its regions). A step equal to the one shown draws nothing.
  let shown = null;

  const DRAWN_EVENT = "kmeans-map-drawn"; // on the plot, when drawStepNow's picture is in place

  function writeStepToAddress(step) {
    if (!window.location.search) return;
    const params = new URLSearchParams(window.location.search);
    params.set("mesh", String(step));
    window.history.replaceState(window.history.state, "",
                                window.location.pathname + "?" + params.toString() + window.location.hash);
  }

  // A new fit or mesh step is drawn straight into the plot (the picture, and for a fit the
  // centroids' discs and names), not through the figure Dash keeps: a figure update
  // costs a Dash store update, dcc.Graph's render and a Plotly.react that diffs the whole figure,
  // 1,797 points included (~50 ms of a change's time). dcc.Graph answers every relayout event by
  // writing the layout back into Dash (relayoutData, then its figure: ~40 ms of Dash's work before
  // the frame, and the picture, a data URL, copied into Dash's store), so the events of these
  // draws are not passed on. The figure Dash keeps then stays the first page's; that is harmless:
  // dcc.Graph redraws only when its figure changes, and only onFit and onStep write it, with a
  // patch of everything they draw, when the plot is not on the page yet.
  function quietDrawEvents(gd) {
    if (gd.__quietDrawEvents) return;
    gd.__quietDrawEvents = true;
    const emit = gd.emit;
    gd.emit = function (name, data) {
      const ours = name === "plotly_relayout" && data && Object.keys(data).length === 1 && "images[0]" in data;
      return ours ? undefined : emit.apply(this, arguments);
    };
  }

  function plotDiv() {
    const gd = document.querySelector("#boundary-graph .js-plotly-plot");
    return gd && window.Plotly && gd._fullLayout ? gd : null;
  }

  // Puts `picture` (the regions, a layout image) into the plot, and for a fit `markers` (the
  // centroids' discs and names: shapes and annotations); once drawn, `DRAWN_EVENT` on the plot in
  // the frame that paints it (Plotly sends no afterplot for these), then `then`. A fit goes
  // through Plotly.react with the plot's own traces, as dcc.Graph would: it redraws only the
  // shapes and annotations that changed, where a relayout of whole arrays redraws the 1,797 points.
  function draw(gd, picture, markers, then) {
    quietDrawEvents(gd);
    const drawn = () => requestAnimationFrame(() => {
      gd.dispatchEvent(new CustomEvent(DRAWN_EVENT));
      if (then) setTimeout(then, 0); // after this frame is painted
    });
    const done = markers
      ? window.Plotly.react(gd, gd.data, Object.assign({}, gd.layout, { images: [picture] }, markers))
      : window.Plotly.relayout(gd, { "images[0]": picture });
    done.then(drawn, drawn);
  }

  // A prop as Dash holds it now (the regions: the first page's, before any fit came through onFit).
  function storedProp(id, prop) {
    const state = window.store && window.store.getState();
    const path = state && state.paths && state.paths.strs && state.paths.strs[id];
    let node = path ? state.layout : null;
    for (const key of path || []) node = node && node[key];
    return node && node.props ? node.props[prop] : undefined;
  }

  function storedRegions() {
    return storedProp("map-regions", "data") || null;
  }

  // Draws a fit and its marks now, if the page can take it at `step`; whether it did.
  function drawFit(regions, step) {
    const gd = plotDiv();
    if (!gd || !regions || !validStep(regions, step)) return false;
    shown = { regions, step };
    draw(gd, image(regions, step), { shapes: regions.shapes, annotations: regions.annotations });
    return true;
  }

  let latestMapRequest = null; // the map callback's newest request: only its answer is drawn early
  const MAP_OUTPUT = ".map-regions.data";

  // Two callbacks, not one: a callback that fed itself through the server (step -> mesh-check ->
  // server -> map-regions -> the same callback) is not run again by Dash within one chain.
  ns.kmeansMap = {
    // A new fit from the server: its regions at the page's step, and its centroids, in one update.
    onFit(regions, step) {
      const noUpdate = ns.no_update;
      if (!regions || !validStep(regions, step)) return [noUpdate, noUpdate];
      const drawnEarly = shown && shown.regions === regions && shown.step === step; // onResponse
      if (drawnEarly || drawFit(regions, step)) return [noUpdate, meshText(regions, step)];
      const picture = image(regions, step);
      shown = { regions, step };
      const patch = new ns.Patch()
        .assign(["layout", "images", 0], picture)
        .assign(["layout", "shapes"], regions.shapes)
        .assign(["layout", "annotations"], regions.annotations);
      return [patch.build(), meshText(regions, step)];
    },
    // Dash's request hooks (app.py). The map's answer is drawn as soon as it is parsed, before Dash
    // applies the callback's outputs and runs onFit (15-25 ms of its work, measured); the caption
    // goes in with it, as Dash then writes it too (a text child: React sets the element's text,
    // so the two agree). Only the newest map request's answer: Dash drops an older one's.
    onRequest(payload) {
      if (payload && typeof payload.output === "string" && payload.output.includes(MAP_OUTPUT)) {
        latestMapRequest = payload;
      }
    },
    onResponse(payload, response) {
      const answer = response && response["map-regions"];
      if (payload !== latestMapRequest || !answer || !answer.data) return;
      const regions = answer.data, step = storedProp("mesh-step", "value");
      if (!drawFit(regions, step)) return;
      const caption = response["map-caption"] && response["map-caption"].children;
      const captionNode = document.getElementById("map-caption");
      if (captionNode && typeof caption === "string") captionNode.textContent = caption;
      const mesh = document.getElementById("map-mesh");
      if (mesh) mesh.textContent = meshText(regions, step);
    },
    // A new mesh step: drawn here, with no request, when it is valid and no message is shown;
    // otherwise the server's validator words the message (or clears it, and sends the fit back).
    // The address takes the new step directly (as callbacks/share.py writes it, without a history
    // entry): one callback fewer between the key and the picture.
    onStep(step, regions, messageHidden) {
      const noUpdate = ns.no_update;
      if (!regions) return [noUpdate, noUpdate, noUpdate];
      if (!validStep(regions, step) || messageHidden === false) {
        return [noUpdate, noUpdate, { step: step === undefined ? null : step, at: Date.now() }];
      }
      const now = shown || { regions, step: regions.step };
      if (now.regions === regions && now.step === step) return [noUpdate, noUpdate, noUpdate];
      const picture = image(regions, step);
      shown = { regions, step };
      writeStepToAddress(step);
      const gd = plotDiv();
      if (gd) {
        draw(gd, picture);
        return [noUpdate, meshText(regions, step), noUpdate];
      }
      const patch = new ns.Patch().assign(["layout", "images", 0], picture);
      return [patch.build(), meshText(regions, step), noUpdate];
    },
    // Enter in the mesh field (assets/steppers.js), before the value goes into Dash: a valid step
    // is drawn here at once, straight into the plot (draw), instead of after Dash's callback
    // round (~50 ms of its own work with nothing to show for it); onStep then finds the step
    // shown and does nothing. `then` (giving Dash the value) runs once the picture is painted.
    // Returns whether it drew; if not, the caller gives Dash the value at once, the usual way.
    drawStepNow(step, then) {
      const gd = plotDiv();
      const message = document.getElementById("settings-message");
      const regions = shown ? shown.regions : storedRegions();
      if (!gd || !regions || !message || !message.hidden || !validStep(regions, step)) {
        return false;
      }
      const now = shown || { regions, step: regions.step };
      if (now.step === step) return false;
      const text = meshText(regions, step);
      const caption = document.getElementById("map-mesh");
      if (caption) caption.textContent = text; // what Dash holds too, below, so React agrees
      shown = { regions, step };
      writeStepToAddress(step);
      // Dash gets the caption and the value once the picture is painted (its work would delay it).
      draw(gd, image(regions, step), null, () => {
        ns.set_props("map-mesh", { children: text });
        if (then) then();
      });
      return true;
    },
  };
})();
