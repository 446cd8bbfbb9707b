// Clientside parts of the cluster views: the map's digit tooltip, picking a cluster (gallery,
// matrix row or map region) and closing its members. None of these needs the server: the tooltip
// crops the digit out of the sprite sheet (assets/digit-sprite.png), and a pick only sets the
// `selected-cluster` store, whose change asks the server for that cluster's members.
(function () {
  const SPRITE_COLUMNS = 60, SPRITE_ROWS = 30; // components/digit_images.py
  const no = () => window.dash_clientside.no_update;

  function spriteStyle(index) {
    const row = Math.floor(index / SPRITE_COLUMNS), column = index % SPRITE_COLUMNS;
    const x = (column / (SPRITE_COLUMNS - 1)) * 100, y = (row / (SPRITE_ROWS - 1)) * 100;
    return { backgroundPosition: `${x.toFixed(4)}% ${y.toFixed(4)}%` };
  }

  function el(type, props) {
    return { type: type, namespace: "dash_html_components", props: props };
  }

  function clusterName(clusters, index) {
    if (!clusters || !clusters.labels || clusters.labels[index] === undefined) return "?";
    return clusters.names[clusters.labels[index]];
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    clusters: {
      // hoverData → [show, bbox, children]. Only the digits trace has hover data: a centroid or an
      // empty part of the map gives none, and the tooltip hides.
      tooltip: function (hoverData, mapClusters, modelClusters) {
        const point = hoverData && hoverData.points && hoverData.points[0];
        if (!point || point.curveNumber !== 0 || point.pointIndex === undefined) return [false, no(), no()];
        const index = point.pointIndex, digit = point.customdata ? point.customdata[1] : "?";
        const model = modelClusters ? `${modelClusters.init} model` : "64-D model";
        const children = el("Div", { className: "tooltip-body", children: [
          el("Span", { className: "digit-sprite tooltip-digit", style: spriteStyle(index) }),
          el("Div", { className: "tooltip-text", children: [
            el("Strong", { children: `A ${digit}` }),
            el("Div", { children: `Sample #${index}` }),
            el("Div", { children: `Cluster ${clusterName(modelClusters, index)} in the ${model}` }),
            el("Div", { children: `Cluster ${clusterName(mapClusters, index)} on this map` }),
          ] }),
        ] });
        return [true, point.bbox, children];
      },
      // A click on a gallery card, a matrix row, a map region or Close → the selected cluster
      // (a second click on the open one closes it). `at` makes every pick a new value.
      pick: function (_cards, _close, mapPick, selected, panelHidden) {
        const ctx = window.dash_clientside.callback_context;
        const fired = ctx.triggered.filter((t) => t.value);
        if (!fired.length) return no();
        const id = ctx.triggered_id;
        if (id === "close-members") return null;
        const pick = id === "map-pick" ? { source: "map", name: mapPick && mapPick.name }
          : { source: id.source, name: id.name };
        if (typeof pick.name !== "string") return no();
        const open = !panelHidden && selected;
        if (open && selected.source === pick.source && selected.name === pick.name) return null;
        return { source: pick.source, name: pick.name, at: Date.now() };
      },
    },
  });

  // The map: a click anywhere in a region picks it. The region is the nearest centroid, the
  // rule that drew it; the centroids are the visible annotations, each named.
  function nearestCentroid(gd, event) {
    const layout = gd._fullLayout, xa = layout && layout.xaxis, ya = layout && layout.yaxis;
    if (!xa || !ya) return null;
    const box = gd.querySelector(".nsewdrag");
    if (!box) return null;
    const rect = box.getBoundingClientRect();
    if (event.clientX < rect.left || event.clientX > rect.right || event.clientY < rect.top
        || event.clientY > rect.bottom) return null;
    const x = xa.p2d(event.clientX - rect.left), y = ya.p2d(event.clientY - rect.top);
    let best = null, bestDistance = Infinity;
    (gd.layout.annotations || []).forEach((a) => {
      if (!a.opacity || !a.text) return;
      const d = (a.x - x) ** 2 + (a.y - y) ** 2;
      if (d < bestDistance) { bestDistance = d; best = a.text; }
    });
    return best;
  }

  function watchMap() {
    const gd = document.querySelector("#boundary-graph .js-plotly-plot");
    if (!gd || gd.__picksRegions) return;
    gd.__picksRegions = true;
    let down = null;
    gd.addEventListener("pointerdown", (e) => { down = [e.clientX, e.clientY]; }, true);
    gd.addEventListener("click", (e) => {
      // A drag (zoom) or the second click of a double-click (zoom reset) is not a pick.
      if (!down || Math.hypot(e.clientX - down[0], e.clientY - down[1]) > 4 || e.detail > 1) return;
      if (e.target.closest && e.target.closest(".modebar")) return;
      const name = nearestCentroid(gd, e);
      if (name && window.dash_clientside.set_props) {
        window.dash_clientside.set_props("map-pick", { data: { name: name, at: Date.now() } });
      }
    }, true);
  }

  document.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    const card = document.getElementById("members-card");
    if (card && !card.hidden && window.dash_clientside.set_props) {
      window.dash_clientside.set_props("selected-cluster", { data: null });
    }
    // A header's explainer opens on focus; Escape dismisses it (WCAG 1.4.13).
    const active = document.activeElement;
    if (active && active.classList && active.classList.contains("th-help")) active.blur();
  });

  // Fetch the sprite while the page is idle, so the first hover shows its digit at once.
  window.addEventListener("load", () => { new Image().src = "/assets/digit-sprite.png"; });

  new MutationObserver(watchMap).observe(document.documentElement, { childList: true, subtree: true });
})();
