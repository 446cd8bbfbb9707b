/* The jobs section's browser-only steps: the selected k on the sweep, and Lloyd's replay frames. */
window.dash_clientside = window.dash_clientside || {};
(function () {
  const noUpdate = () => window.dash_clientside.no_update;
  const MAX_K = 30; // one centroid slot per possible k: fixed-length layout arrays redraw cheaply

  function markCurrentK(applied, figure) {
    if (!figure || !figure.layout || !Array.isArray(figure.layout.shapes)) return noUpdate();
    const k = applied && Number.isInteger(applied.n_clusters) ? applied.n_clusters : null;
    // Most changes keep k (n_init, seed, init): then the graph is not redrawn at all.
    const shown = figure.layout.shapes.find((shape) => shape.name === "current-k");
    if (shown && shown.x0 === (k ?? 0) && shown.opacity === (k === null ? 0 : 0.7)) return noUpdate();
    // The axis range is fixed to the sweep: a k outside it is simply not drawn.
    const shapes = figure.layout.shapes.map((shape) => shape.name === "current-k"
      ? { ...shape, x0: k ?? 0, x1: k ?? 0, opacity: k === null ? 0 : 0.7 } : shape);
    return { ...figure, layout: { ...figure.layout, shapes } };
  }

  // A sweep point's k (its customdata), for the k field.
  function selectK(clickData) {
    const point = clickData && Array.isArray(clickData.points) ? clickData.points[0] : null;
    const k = point ? point.customdata : null;
    return Number.isInteger(k) && k >= 2 && k <= MAX_K ? k : noUpdate();
  }

  function showReplayFrame(value, replay, figure) {
    if (!replay || !figure || !replay.frames || !replay.frames.length) return [noUpdate(), ""];
    const index = Math.max(0, Math.min(Number(value) || 0, replay.frames.length - 1));
    const frame = replay.frames[index];
    const moves = [], discs = [], numbers = [];
    for (let slot = 0; slot < MAX_K; slot += 1) {
      // Slots in the map's display order, each cluster with the map's name and digit colour.
      const cluster = slot < replay.clusters.length ? replay.clusters[slot] : null;
      const [x, y] = cluster ? frame.centers[cluster.index] : [0, 0];
      const from = cluster && frame.from ? frame.from[cluster.index] : [x, y];
      moves.push({ type: "line", xref: "x", yref: "y", x0: from[0], y0: from[1], x1: x, y1: y,
                   opacity: cluster && frame.from ? 1 : 0, line: { color: "#1b1b1b", width: 2 }, layer: "above" });
      discs.push({ type: "circle", xref: "x", yref: "y", xsizemode: "pixel", ysizemode: "pixel",
                   xanchor: x, yanchor: y, x0: -9, x1: 9, y0: -9, y1: 9, layer: "above", opacity: cluster ? 1 : 0,
                   fillcolor: cluster ? cluster.colour : "#1b1b1b", line: { color: "#1b1b1b", width: 1.5 } });
      numbers.push({ x, y, xref: "x", yref: "y", showarrow: false, opacity: cluster ? 1 : 0,
                     text: cluster ? cluster.name : "", font: { color: cluster ? cluster.ink : "white", size: 10 } });
    }
    const image = { ...replay.placement, xref: "x", yref: "y", sizing: "stretch", layer: "below",
                    source: frame.image === null ? replay.images[0] : replay.images[frame.image],
                    opacity: frame.image === null ? 0 : 1 };
    const layout = { ...figure.layout, shapes: moves.concat(discs), annotations: numbers, images: [image] };
    const text = `Step ${index} of ${replay.frames.length - 1}: ${frame.label}`;
    return [{ ...figure, layout }, text];
  }

  function replayTimer(clicks, ticks, value, max, stopped) {
    const triggered = (window.dash_clientside.callback_context.triggered || []).map((t) => t.prop_id);
    if (triggered.includes("replay-play.n_clicks")) {
      if (!stopped) return [noUpdate(), true, "▶ Play"];
      // Play from the start when at the end.
      return [value >= max ? 0 : noUpdate(), false, "❚❚ Pause"];
    }
    const next = Math.min((Number(value) || 0) + 1, max);
    return next >= max ? [next, true, "▶ Play"] : [next, false, noUpdate()];
  }

  window.dash_clientside.jobs = { markCurrentK, selectK, showReplayFrame, replayTimer };
})();
