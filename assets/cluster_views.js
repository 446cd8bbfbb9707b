// Browser-side parts of the cluster views: the map's digit tooltip, picking a cluster (gallery,
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


  function clusterName(clusters, index) {
    if (!clusters || !clusters.labels || clusters.labels[index] === undefined) return "?";
    return clusters.names[clusters.labels[index]];
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    clusters: {
      // Keeps the cluster names of both models at hand for the tooltip (it is drawn without Dash).
      remember: function (mapClusters, modelClusters) {
        clusterNames = { map: mapClusters, model: modelClusters };
        return "digit-tooltip";
      },
      // A click on a gallery card, a matrix row, a map region or Close → the selected cluster
      // (a second click on the open one closes it). `at` makes every pick a new value.
      pick: function (pick, _close, selected, panelHidden) {
        const ctx = window.dash_clientside.callback_context;
        const fired = ctx.triggered.filter((t) => t.value);
        if (!fired.length) return no();
        if (ctx.triggered_id === "close-members") return null;
        if (!pick || typeof pick.name !== "string") return no();
        const open = !panelHidden && selected;
        if (open && selected.source === pick.source && selected.name === pick.name) return null;
        return { source: pick.source, name: pick.name, at: Date.now() };
      },
      repick: function (_applied, selected) {
        return selected ? Object.assign({}, selected, { at: Date.now() }) : no();
      },
    },
  });

  // The digit tooltip, drawn straight from Plotly's hover event: no Dash round trip, so it shows
  // within a frame. Only the digits trace hovers: a centroid or an empty spot gives no event.
  let clusterNames = { map: null, model: null };

  function line(parent, tag, text) {
    const node = document.createElement(tag);
    node.textContent = text;
    parent.appendChild(node);
  }

  function showTooltip(gd, event) {
    const tip = document.getElementById("digit-tooltip");
    const point = event.points && event.points[0];
    if (!tip || !point || point.curveNumber !== 0) return;
    const index = point.pointIndex, digit = point.customdata ? point.customdata[1] : "?";
    const model = clusterNames.model, map = clusterNames.map;
    const body = document.createElement("div");
    body.className = "tooltip-body";
    const image = document.createElement("span");
    image.className = "digit-sprite tooltip-digit";
    image.style.backgroundPosition = spriteStyle(index).backgroundPosition;
    body.appendChild(image);
    const text = document.createElement("div");
    text.className = "tooltip-text";
    line(text, "strong", `A ${digit}`);
    line(text, "div", `Sample #${index}`);
    line(text, "div", `Cluster ${clusterName(model, index)} in the ${model ? model.init : "64-D"} model`);
    line(text, "div", `Cluster ${clusterName(map, index)} on this map`);
    body.appendChild(text);
    tip.replaceChildren(body);
    tip.hidden = false;
    // Beside the point, flipped to its left near the right edge.
    const box = gd.querySelector(".nsewdrag").getBoundingClientRect();
    const x = box.left + gd._fullLayout.xaxis.d2p(point.x), y = box.top + gd._fullLayout.yaxis.d2p(point.y);
    const width = tip.offsetWidth, height = tip.offsetHeight;
    const left = x + 14 + width > window.innerWidth ? x - 14 - width : x + 14;
    tip.style.left = `${Math.max(4, left)}px`;
    tip.style.top = `${Math.min(Math.max(4, y - height / 2), window.innerHeight - height - 4)}px`;
  }

  function hideTooltip() {
    const tip = document.getElementById("digit-tooltip");
    if (tip) tip.hidden = true;
  }

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
    if (!gd || gd.__picksRegions || typeof gd.on !== "function") return;
    gd.__picksRegions = true;
    gd.on("plotly_hover", (event) => showTooltip(gd, event));
    gd.on("plotly_unhover", hideTooltip);
    gd.on("plotly_relayout", hideTooltip);
    let down = null;
    gd.addEventListener("pointerdown", (e) => { down = [e.clientX, e.clientY]; }, true);
    gd.addEventListener("click", (e) => {
      // A drag (zoom) or the second click of a double-click (zoom reset) is not a pick.
      if (!down || Math.hypot(e.clientX - down[0], e.clientY - down[1]) > 4 || e.detail > 1) return;
      if (e.target.closest && e.target.closest(".modebar")) return;
      const name = nearestCentroid(gd, e);
      if (name) pickCluster("map", name);
    }, true);
  }

  function pickCluster(source, name) {
    if (!window.dash_clientside.set_props) return;
    window.dash_clientside.set_props("cluster-pick", { data: { source: source, name: name, at: Date.now() } });
  }

  // A gallery card or a matrix row: plain HTML (components/html_string.py), so one listener for all.
  document.addEventListener("click", (e) => {
    const picker = e.target.closest && e.target.closest("[data-pick-name]");
    if (picker) pickCluster(picker.dataset.pickSource, picker.dataset.pickName);
  });

  document.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    const card = document.getElementById("members-card");
    if (card && !card.hidden && window.dash_clientside.set_props) {
      window.dash_clientside.set_props("selected-cluster", { data: null });
    }
  });

  // Fetch the sprite while the page is idle, so the first hover shows its digit at once.
  window.addEventListener("load", () => { new Image().src = "/assets/digit-sprite.png"; });

  // The members card opens under the map: bring it into view, wherever the pick was made.
  function watchMembers() {
    const card = document.getElementById("members-card");
    if (!card || card.__scrollsIntoView) return;
    card.__scrollsIntoView = true;
    new MutationObserver(() => {
      if (!card.hidden) card.scrollIntoView({ block: "nearest", behavior: "smooth" });
    }).observe(card, { attributes: true, attributeFilter: ["hidden"], childList: true });
  }

  new MutationObserver(() => { watchMap(); watchMembers(); })
    .observe(document.documentElement, { childList: true, subtree: true });
})();
