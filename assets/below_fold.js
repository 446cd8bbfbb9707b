// Mounts the parts of the page below the fold (components/below_fold.py) once the map has been
// drawn and the browser is idle, so that the first render draws the map without waiting for them.
window.dash_clientside = window.dash_clientside || {};
(function () {
  const SIGNAL = "below-fold-mount";
  const PLACEHOLDER = "jobs-panels"; // in the page from the start: Dash has rendered once it is there
  const FALLBACK_MS = 8000; // mount anyway should the map never report a draw
  let mounted = false;

  const empty = (children) => children === null || children === undefined
    || (Array.isArray(children) && children.length === 0);

  // The clientside callback (callbacks/below_fold.py): each placeholder gets its content, unless a
  // callback has filled it since.
  window.dash_clientside.belowFold = {
    mount: function (signal, content, ...current) {
      if (!signal || !content) return;
      const placeholders = window.dash_clientside.callback_context.states_list.slice(1);
      placeholders.forEach((placeholder, i) => {
        if (empty(current[i])) window.dash_clientside.set_props(placeholder.id, { children: content[placeholder.id] });
      });
    },
  };

  function signal() {
    if (mounted) return;
    const dash = window.dash_clientside;
    if (!dash.set_props || !document.getElementById(PLACEHOLDER)) {
      setTimeout(signal, 100); // Dash has not rendered the page yet
      return;
    }
    mounted = true;
    dash.set_props(SIGNAL, { data: Date.now() });
  }

  // After the map's first draw, once the frame is painted and the main thread is free.
  function soon() {
    if (window.requestIdleCallback) window.requestIdleCallback(signal, { timeout: 300 });
    else setTimeout(signal, 0);
  }

  const observer = new MutationObserver(() => {
    const plot = document.querySelector("#boundary-graph .js-plotly-plot");
    if (!plot || typeof plot.on !== "function") return;
    observer.disconnect();
    plot.on("plotly_afterplot", soon);
    if (plot.querySelector(".scatterlayer .trace")) soon(); // drawn before this saw it
  });
  observer.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["class"] });
  setTimeout(signal, FALLBACK_MS);
})();
