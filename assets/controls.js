// Switching the dataset (callbacks/controls.py): a k the new dataset cannot take is brought within
// its range, an n_init too heavy for it at that k is lowered to the largest whose table fits in
// time, and the note under the picker says so; then the dataset, that k and that n_init go to the
// map and the table together (one request each). The note also says how many classes the data has
// (callbacks/controls.py writes it, and each dataset's limits).
(function () {
  "use strict";
  const ns = (window.dash_clientside = window.dash_clientside || {});

  const whole = (value) => (typeof value === "number" && Number.isInteger(value) ? value : null);

  ns.controls = {
    switchDataset(dataset, k, init, limits, nInit) {
      const data = limits && limits[dataset];
      if (!data) return [dataset, ns.no_update, "", ns.no_update];
      const high = init === "PCA-based" ? data.pca_max_k : data.k[1];
      const typed = whole(k);
      const notes = [data.note];
      let next = ns.no_update;
      if (typed !== null && (typed > high || typed < data.k[0])) {
        next = Math.min(Math.max(typed, data.k[0]), high);
        const why = init === "PCA-based" && typed > data.pca_max_k
          ? `PCA-based seeding takes at most ${data.pca_max_k} axes here (its features)`
          : `k runs from ${data.k[0]} to ${high} here`;
        notes.push(`k was ${typed}; it is now ${next}: ${why}.`);
      }
      // The k the table will use: the one just set, the one typed, or (none typed) the suggested one.
      const kept = next !== ns.no_update ? next : typed !== null ? typed : data.classes;
      const byK = data.n_init_max_by_k || {};
      const most = byK[String(kept)] !== undefined ? byK[String(kept)] : data.n_init_max;
      const runs = whole(nInit);
      let nextNInit = ns.no_update;
      if (runs !== null && typeof most === "number" && most >= 1 && runs > most) {
        nextNInit = most;
        notes.push(`n_init was ${runs}; it is now ${most}: at most ${most} fit in time for ` +
                   `${data.size} at k ${kept}.`);
      }
      return [dataset, next, notes.join(" "), nextNInit];
    },
  };
})();
