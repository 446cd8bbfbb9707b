// The centroid numbers' hover labels are Plotly "lone" hovers, which go away on mouseout. A
// refit moves the numbers from under a pointer that has not moved, so no mouseout comes and
// the label would stay, describing the old centroid: clear it after every redraw of the map.
// (Plotly re-hovers the digit points itself after a redraw, so their labels come back.)
(function () {
  function watch() {
    const gd = document.querySelector("#boundary-graph .js-plotly-plot");
    if (!gd || typeof gd.on !== "function" || gd.__clearsCentroidHover) return;
    gd.__clearsCentroidHover = true;
    gd.on("plotly_afterplot", function () {
      const layer = gd._fullLayout && gd._fullLayout._hoverlayer;
      if (layer && window.Plotly && Plotly.Fx) Plotly.Fx.loneUnhover(layer.node());
    });
  }
  new MutationObserver(watch).observe(document.documentElement, { childList: true, subtree: true });
})();
