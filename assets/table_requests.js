// The table's requests (callbacks/table.py): every change sends one at once, naming this page and
// counting its requests. The server drops the rows of this page's older table that have not
// started (serving/table_fits.py); Dash drops any answer to a request it has sent again.
(function () {
  "use strict";
  const ns = (window.dash_clientside = window.dash_clientside || {});
  // The page's own random id. The table's requests name the page with it; the job requests send
  // it too, so the jobs the page starts at once, before an answer has brought it its token, get
  // the same token from it (serving/jobs/queue.py). getRandomValues, not randomUUID: a page served
  // over plain http on a LAN has only the former.
  const page = Array.from(window.crypto.getRandomValues(new Uint8Array(16)),
                          (b) => b.toString(16).padStart(2, "0")).join("");
  let seq = 0;

  ns.page = { id: () => page };

  ns.tableRequests = {
    // The request, and the progress line shown (from its first words) with its tick started.
    request(datasetChoice, init, nInit, k, seed, _meshCheck, _retry, _stability, mesh, applied, datasetValue) {
      seq += 1;
      const request = {
        values: { dataset: datasetChoice || datasetValue, init_method: init, n_init: nInit, n_clusters: k,
                  seed: seed, mesh_step: mesh },
        fallback: applied, page, seq,
      };
      return [request, false, "Fitting the table…", false];
    },
    // The table's answer or its fault: the line hidden, its tick stopped.
    answered() {
      return [true, true];
    },
  };
})();
