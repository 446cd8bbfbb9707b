// The table's requests (callbacks/table.py): at most one in flight per page. A change made while
// one is out waits; when its answer comes, only the newest waiting change is sent. A presenter's
// ten quick clicks then cost two tables, not ten, and the last one starts as soon as a worker is
// free. An answer that never comes (the request failed for good) stops holding after STALE_MS.
// The waiting change is sent with set_props after the answer's callbacks have run: a callback
// that the answer triggered could not set the request itself (Dash runs no callback twice in one
// chain, and this chain began with the request).
(function () {
  "use strict";
  const ns = (window.dash_clientside = window.dash_clientside || {});
  const STALE_MS = 30000;
  let inFlight = null; // the request sent and not answered
  let waiting = null; // the newest change made meanwhile

  ns.tableRequests = {
    request(datasetChoice, init, nInit, k, seed, _meshCheck, _retry, _stability, mesh, applied, datasetValue) {
      const request = {
        values: { dataset: datasetChoice || datasetValue, init_method: init, n_init: nInit, n_clusters: k,
                  seed: seed, mesh_step: mesh },
        fallback: applied, at: Date.now(),
      };
      if (inFlight && Date.now() - inFlight.at < STALE_MS) {
        waiting = request;
        return ns.no_update;
      }
      inFlight = request;
      waiting = null;
      return request;
    },
    answered(stamp) {
      if (!inFlight || stamp !== inFlight.at) return;
      inFlight = null;
      if (!waiting) return;
      const next = Object.assign({}, waiting, { at: Date.now() });
      waiting = null;
      inFlight = next;
      setTimeout(() => ns.set_props("table-request", { data: next }), 0);
    },
  };
})();
