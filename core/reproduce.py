"""A self-contained Python snippet that prints the benchmark table for given settings (pure).

It repeats what core.datasets and core.clustering do with plain scikit-learn calls, and prints
each number as the table shows it; a test runs it and compares. The page fills the template in
the browser (callbacks/share.py), so a change costs no request for it.
"""

from __future__ import annotations

from core.datasets import DATASETS
from core.settings import Settings

# Placeholders, replaced by plain whole numbers (validated settings) and the dataset's loader.
PLACEHOLDERS = {"n_clusters": "__K__", "n_init": "__N_INIT__", "seed": "__SEED__"}
LOADER_PLACEHOLDER = "__LOADER__"
LOADERS = {key: info.loader.__name__ for key, info in DATASETS.items()}  # dataset → "load_iris"

TEMPLATE = '''\
# The "Init strategies compared" table of the K-means dashboard,
# on __LOADER__(), for k=__K__, n_init=__N_INIT__, seed=__SEED__. Needs scikit-learn; run as is.
from time import thread_time

from sklearn import metrics
from sklearn.cluster import KMeans
from sklearn.datasets import __LOADER__
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

K, N_INIT, SEED = __K__, __N_INIT__, __SEED__

dataset = __LOADER__()
data = StandardScaler().fit_transform(dataset.data)
truth = dataset.target

estimators = {
    "k-means++": KMeans(init="k-means++", n_clusters=K, n_init=N_INIT, random_state=SEED),
    "random": KMeans(init="random", n_clusters=K, n_init=N_INIT, random_state=SEED),
    # Deterministic seeding from the k principal axes, so one run.
    "PCA-based": KMeans(init=PCA(n_components=K).fit(data).components_,
                        n_clusters=K, n_init=1, random_state=SEED),
}
print("init        fit time  inertia  homog.  compl.  v-meas.  ARI    AMI    silhouette")
for name, kmeans in estimators.items():
    started = thread_time()  # CPU time, as the dashboard shows it
    kmeans.fit(data)
    fit_ms = (thread_time() - started) * 1000
    found = kmeans.labels_
    scores = [
        metrics.homogeneity_score(truth, found),
        metrics.completeness_score(truth, found),
        metrics.v_measure_score(truth, found),
        metrics.adjusted_rand_score(truth, found),
        metrics.adjusted_mutual_info_score(truth, found),
        metrics.silhouette_score(data, found, metric="euclidean"),
    ]
    print(f"{name:<11} {fit_ms:5.0f} ms {kmeans.inertia_:>8,.0f}  "
          + "  ".join(f"{score:.3f}" for score in scores))
'''


def filled(template: str, settings: Settings) -> str:
    """A template with k, n_init and the seed written in, as the page fills it (callbacks/share.py)."""
    for field, placeholder in PLACEHOLDERS.items():
        template = template.replace(placeholder, str(int(getattr(settings, field))))
    return template


def reproduce_snippet(settings: Settings) -> str:
    """The snippet for these settings' table (the init method and mesh step do not change it)."""
    return filled(TEMPLATE.replace(LOADER_PLACEHOLDER, LOADERS[settings.dataset]), settings)


def upload_template(filename: str, delimiter: str, decimal: str, features: tuple[str, ...], label: str | None,
                    standardize: bool, n_rows: int) -> str:
    """The snippet for an uploaded file, with the same placeholders: it reads the file with pandas,
    keeps the rows the dashboard keeps, and prints the same columns. Every name is written with
    repr(), so a column named like code stays a string."""
    from core.clustering import SILHOUETTE_SAMPLE, SILHOUETTE_SEED

    sample = (f", sample_size={SILHOUETTE_SAMPLE}, random_state={SILHOUETTE_SEED}"
              if n_rows > SILHOUETTE_SAMPLE else "")
    numbers = "cells" if decimal == "." else 'cells.str.replace(",", ".", regex=False)'
    silhouette = "silhouette(data, found)" if sample else 'metrics.silhouette_score(data, found, metric="euclidean")'
    # A sampled silhouette whose sample holds a single cluster is undefined: the dashboard shows "—".
    sampled = f"""

def silhouette(data, found):
    \"\"\"Sampled as the dashboard samples it; nan where its sample holds a single cluster (the page's "—").\"\"\"
    try:
        return metrics.silhouette_score(data, found, metric="euclidean"{sample})
    except ValueError:
        return float("nan")
""" if sample else ""
    scale = "StandardScaler().fit_transform(frame[FEATURES])" if standardize else "frame[FEATURES].to_numpy(float)"
    keep = "keep = np.isfinite(frame[FEATURES]).all(axis=1)"
    labels = ""
    if label is not None:
        # As the dashboard reads a label (core.uploads, core.upload_choice): a column whose every cell is a number,
        # empty or "nan" is numbers (1 and 1.0 one class, empty and "nan" cells dropped); any other is text, blank
        # cells dropped. With a decimal comma, a cell holding "." is no number.
        as_numbers = ("label" if decimal == "." else
                      'label.str.replace(",", ".", regex=False).mask(label.str.contains(".", regex=False))')
        labels = f"""label = frame[LABEL]
numbers = pd.to_numeric({as_numbers}, errors="coerce")
if (numbers.notna() | label.str.lower().isin(["", "nan", "+nan", "-nan"])).all():
    frame[LABEL] = numbers  # a column of numbers: 1 and 1.0 are one class
else:
    frame[LABEL] = label.mask(label == "")
"""
        keep += " & frame[LABEL].notna()"
        header = "init        fit time  inertia  homog.  compl.  v-meas.  ARI    AMI    silhouette"
        scores = f"""        metrics.homogeneity_score(truth, found),
        metrics.completeness_score(truth, found),
        metrics.v_measure_score(truth, found),
        metrics.adjusted_rand_score(truth, found),
        metrics.adjusted_mutual_info_score(truth, found),
        {silhouette},"""
        fmt = '"  ".join(f"{score:.3f}" for score in scores)'
    else:
        header = "init        fit time  inertia  silhouette  Calinski-H.  Davies-B."
        scores = f"""        {silhouette},
        metrics.calinski_harabasz_score(data, found),
        metrics.davies_bouldin_score(data, found),"""
        fmt = 'f"{scores[0]:.3f}  {scores[1]:,.1f}  {scores[2]:.3f}"'
    return f'''\
# The "Init strategies compared" table of the K-means dashboard, on your file
# {filename!r}, for k=__K__, n_init=__N_INIT__, seed=__SEED__.
# Needs pandas and scikit-learn; put the file beside this script.
from time import thread_time

import numpy as np
import pandas as pd
from sklearn import metrics
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

K, N_INIT, SEED = __K__, __N_INIT__, __SEED__
FEATURES = {list(features)!r}
LABEL = {label!r}


def one_line(text):
    """As the dashboard reads a name or a cell: each run of spaces and unprintable characters as one space."""
    return " ".join("".join(char if char.isprintable() else " " for char in text).split())
{sampled}

frame = pd.read_csv({filename!r}, sep={delimiter!r}, decimal={decimal!r}, dtype=str, keep_default_na=False)
frame.columns = [one_line(name) for name in frame.columns]
frame = frame.apply(lambda column: column.map(one_line))
frame[FEATURES] = frame[FEATURES].apply(lambda cells: pd.to_numeric({numbers}, errors="coerce"))
{labels}{keep}
frame = frame[keep]
data = {scale}
truth = frame[LABEL] if LABEL else None

estimators = {{
    "k-means++": KMeans(init="k-means++", n_clusters=K, n_init=N_INIT, random_state=SEED),
    "random": KMeans(init="random", n_clusters=K, n_init=N_INIT, random_state=SEED),
    # Deterministic seeding from the k principal axes, so one run (only while K <= the features).
    "PCA-based": KMeans(init=PCA(n_components=K).fit(data).components_, n_clusters=K, n_init=1,
                        random_state=SEED) if K <= data.shape[1] else None,
}}
print({header!r})
for name, kmeans in estimators.items():
    if kmeans is None:
        continue
    started = thread_time()  # CPU time, as the dashboard shows it
    kmeans.fit(data)
    fit_ms = (thread_time() - started) * 1000
    found = kmeans.labels_
    scores = [
{scores}
    ]
    print(f"{{name:<11}} {{fit_ms:5.0f}} ms {{kmeans.inertia_:>8,.0f}}  " + {fmt})
'''
