// Writes the views the server sends as HTML (components/html_string.py: the table, the centroid
// gallery and the cluster × digit matrix) into their containers. One store update per change,
// instead of one Dash component per cell, each wired to Dash's store.
window.dash_clientside = window.dash_clientside || {};
(function () {
  window.dash_clientside.htmlViews = {
    fill: function (views) {
      if (!views || typeof views !== "object") return;
      Object.entries(views).forEach(([id, html]) => {
        const container = document.getElementById(id);
        // The server escapes every text and attribute it writes (components/html_string.py).
        if (container && typeof html === "string" && container.__html !== html) {
          container.innerHTML = html;
          container.__html = html;
        }
      });
    },
  };
})();
