// The modebar's camera button downloads the map at 2x, with the settings in the file name and
// in a title on the image (the page's own caption names them; the plain button would not).
// Capturing the click before Plotly's own handler keeps Plotly's button, icon and tooltip.
(function () {
  const TITLE = "K-means on handwritten digits";

  function settingsName() {
    const parts = [];
    new URLSearchParams(window.location.search).forEach(function (value, key) {
      parts.push(key + "-" + value);
    });
    return ("kmeans-digits-map_" + parts.join("_")).replace(/[^\w.+-]+/g, "-");
  }

  function download(gd) {
    const caption = ["map-caption", "map-mesh"]
      .map(function (id) { return (document.getElementById(id) || {}).textContent || ""; })
      .filter(Boolean).join(" · ");
    const full = gd._fullLayout || {};
    const margin = Object.assign({}, gd.layout.margin, { t: 56 });
    const layout = Object.assign({}, gd.layout, {
      title: { text: TITLE + "<br><sup>" + caption.replace(/[<>&]/g, "") + "</sup>", x: 0.02, xanchor: "left" },
      margin: margin,
    });
    window.Plotly.downloadImage({ data: gd.data, layout: layout }, {
      format: "png", scale: 2, filename: settingsName(),
      width: full.width || 900, height: (full.height || 600) + 48,
    });
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest('.modebar-btn[data-title="Download plot as a PNG"]');
    const gd = button && button.closest("#boundary-graph .js-plotly-plot");
    if (!gd || !window.Plotly) return;
    event.preventDefault();
    event.stopPropagation();
    download(gd);
  }, true);
})();
