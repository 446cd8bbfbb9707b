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
