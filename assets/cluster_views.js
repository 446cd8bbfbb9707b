// Browser-side parts of the cluster views: the map's tooltip, picking a cluster (gallery card,
// matrix row or map region) and closing its members. None of these needs the server: the tooltip
// crops a digit out of the sprite sheet (assets/digit-sprite.png), and a pick only sets the
// `cluster-pick` store, whose change asks the server for that cluster's members. Everything here
// uses Plotly's event data and the figure's own layout (gd.layout), nothing of Plotly's insides.
(function () {
  "use strict";
  const SPRITE_COLUMNS = 60, SPRITE_ROWS = 30; // components/digit_images.py
  const ns = (window.dash_clientside = window.dash_clientside || {});
  const no = () => ns.no_update;
  let names = { map: null, model: null };
  let regions = null; // the map's current fit (centroids), for clicks in its regions

  function spritePosition(index) {
    const row = Math.floor(index / SPRITE_COLUMNS), column = index % SPRITE_COLUMNS;
    const x = (column / (SPRITE_COLUMNS - 1)) * 100, y = (row / (SPRITE_ROWS - 1)) * 100;
    return `${x.toFixed(4)}% ${y.toFixed(4)}%`;
  }

  function clusterLabel(clusters, index) {
    if (!clusters || !clusters.clusters || clusters.clusters[index] === undefined) return "?";
    return clusters.labels[clusters.clusters[index]];
  }

  ns.clusters = {
    // Keeps the cluster names of both models at hand for the tooltip (drawn without Dash).
    remember(mapClusters, modelClusters, mapRegions) {
      names = { map: mapClusters, model: modelClusters };
      regions = typeof mapRegions === "string" && mapRegions ? JSON.parse(mapRegions) : null;  // map_stack's JSON
    },
    // A click on a gallery card, a matrix row, a map region or Close → the selected cluster
    // (a second click on the open one closes it). `at` makes every pick a new value.
    pick(pick, _close, selected, panelHidden) {
      const ctx = ns.callback_context;
      if (!ctx.triggered.some((t) => t.value)) return no();
      if (ctx.triggered_id === "close-members") return null;
      if (!pick || typeof pick.name !== "string") return no();
      const open = !panelHidden && selected;
      if (open && selected.source === pick.source && selected.name === pick.name) return null;
      return { source: pick.source, name: pick.name, at: Date.now() };
    },
    repick(_applied, selected) {
      return selected ? Object.assign({}, selected, { at: Date.now() }) : no();
    },
  };

  function line(parent, tag, text) {
    const node = document.createElement(tag);
    node.textContent = text;
    parent.appendChild(node);
  }

  function plotMap() {
    return document.querySelector("#boundary-graph .js-plotly-plot");
  }

  // The tooltip, from Plotly's hover event: the point's box (bbox, in the page's viewport) places it.
  function showTooltip(event) {
    const tip = document.getElementById("digit-tooltip");
    const point = event.points && event.points[0];
    if (!tip || !point || point.curveNumber !== 0) return;
    // customdata: (the row's index in the dataset, its class or -1 without labels); the map may
    // draw a sample of the rows, so the point's place in the trace is not the row.
    const index = point.customdata ? point.customdata[0] : point.pointIndex;
    const legend = document.querySelectorAll("#class-key-slot .key-item");
    const truth = point.customdata ? point.customdata[1] : null;
    const className = truth !== null && truth >= 0 && legend[truth] ? legend[truth].textContent : null;
    const body = document.createElement("div");
    body.className = "tooltip-body";
    if (regions && regions.images) {
      const image = document.createElement("span");
      image.className = "digit-sprite tooltip-digit";
      image.style.backgroundPosition = spritePosition(index);
      body.appendChild(image);
    }
    const text = document.createElement("div");
    text.className = "tooltip-text";
    if (className !== null) line(text, "strong", `True class: ${className}`);
    line(text, "div", className !== null ? `Sample #${index}` : `Row #${index}`);
    line(text, "div", `Cluster ${clusterLabel(names.model, index)} in the ${names.model ? names.model.init : ""} model`);
    line(text, "div", `Cluster ${clusterLabel(names.map, index)} on this map`);
    body.appendChild(text);
    tip.replaceChildren(body);
    tip.hidden = false;
    const box = point.bbox || { x0: 0, x1: 0, y0: 0, y1: 0 };
    const x = (box.x0 + box.x1) / 2, y = (box.y0 + box.y1) / 2;
    const width = tip.offsetWidth, height = tip.offsetHeight;
    const left = x + 14 + width > window.innerWidth ? x - 14 - width : x + 14;
    tip.style.left = `${Math.max(4, left)}px`;
    tip.style.top = `${Math.min(Math.max(4, y - height / 2), window.innerHeight - height - 4)}px`;
  }

  function hideTooltip() {
    const tip = document.getElementById("digit-tooltip");
    if (tip) tip.hidden = true;
  }

  // A click anywhere in a region picks its cluster: the nearest centroid, the rule that drew it.
  function regionAt(gd, event) {
    if (!regions || !gd.layout || !gd.layout.xaxis || !gd.layout.xaxis.range) return null;
    const rect = gd.getBoundingClientRect(), area = window.kmeansRegions.plotArea(gd);  // map_regions.js
    const px = event.clientX - rect.left, py = event.clientY - rect.top;
    if (px < area.left || px > area.right || py < area.top || py > area.bottom) return null;
    const x = area.xMin + (px - area.left) / area.scale, y = area.yMax - (py - area.top) / area.scale;
    let best = -1, bestDistance = Infinity;
    regions.centers.forEach(([cx, cy], cluster) => {
      const d = (cx - x) ** 2 + (cy - y) ** 2;
      if (d < bestDistance) { bestDistance = d; best = cluster; }
    });
    return best >= 0 && names.map ? names.map.names[best] : null;
  }

  function pickCluster(source, name) {
    if (ns.set_props) ns.set_props("cluster-pick", { data: { source, name, at: Date.now() } });
  }

  function watchMap() {
    const gd = plotMap();
    if (!gd || gd.dataset.picksRegions || typeof gd.on !== "function") return;
    gd.dataset.picksRegions = "1";
    gd.on("plotly_hover", showTooltip);
    gd.on("plotly_unhover", hideTooltip);
    gd.on("plotly_relayout", hideTooltip);
    let down = null;
    gd.addEventListener("pointerdown", (e) => { down = [e.clientX, e.clientY]; }, true);
    gd.addEventListener("click", (e) => {
      // A drag (zoom) or the second click of a double-click (zoom reset) is not a pick.
      if (!down || Math.hypot(e.clientX - down[0], e.clientY - down[1]) > 4 || e.detail > 1) return;
      if (e.target.closest && e.target.closest(".modebar")) return;
      const name = regionAt(gd, e);
      if (name) pickCluster("map", name);
    }, true);
  }

  // A gallery card or a matrix row: one listener for all, reading their data-pick-* attributes.
  document.addEventListener("click", (e) => {
    const picker = e.target.closest && e.target.closest("[data-pick-name]");
    if (picker) pickCluster(picker.dataset.pickSource, picker.dataset.pickName);
  });

  document.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    const card = document.getElementById("members-card");
    if (card && !card.hidden && ns.set_props) ns.set_props("selected-cluster", { data: null });
  });

  // Fetch the sprite while the page is idle, so that the first hover shows its digit at once.
  window.addEventListener("load", () => { new Image().src = "/assets/digit-sprite.png"; });

  // The members drawer opens over the page: move focus into it, so it is seen and read.
  function watchMembers() {
    const card = document.getElementById("members-card");
    if (!card || card.dataset.focuses) return;
    card.dataset.focuses = "1";
    new MutationObserver(() => {
      if (!card.hidden && !card.contains(document.activeElement)) {
        const close = document.getElementById("close-members");
        if (close) close.focus({ preventScroll: true });
      }
    }).observe(card, { attributes: true, attributeFilter: ["hidden"] });
  }

  new MutationObserver(() => { watchMap(); watchMembers(); })
    .observe(document.documentElement, { childList: true, subtree: true });
})();
