// Switching the dataset (callbacks/controls.py): a k the new dataset cannot take is brought within
// its range and the note under the picker says so; then the dataset and that k go to the map and
// the table together (one request each). The note also says how many classes the data has
// (callbacks/controls.py writes it).
(function () {
  "use strict";
  const ns = (window.dash_clientside = window.dash_clientside || {});

  ns.controls = {
    switchDataset(dataset, k, init, limits) {
      const data = limits && limits[dataset];
      if (!data) return [dataset, ns.no_update, ""];
      const high = init === "PCA-based" ? data.pca_max_k : data.k[1];
      const typed = typeof k === "number" && Number.isInteger(k) ? k : null;
      const notes = [data.note];
      let next = ns.no_update;
      if (typed !== null && (typed > high || typed < data.k[0])) {
        next = Math.min(Math.max(typed, data.k[0]), high);
        const why = init === "PCA-based" && typed > data.pca_max_k
          ? `PCA-based seeding takes at most ${data.pca_max_k} axes here (its features)`
          : `k runs from ${data.k[0]} to ${high} here`;
        notes.push(`k was ${typed}; it is now ${next}: ${why}.`);
      }
      return [dataset, next, notes.join(" ")];
    },
  };
})();
