"""The naive baseline: the scikit-learn digits K-means example pasted into ONE Dash callback.

Nothing is cached, nothing is precomputed, the whole figure (an int32 heatmap of every mesh
cell, the 1,797 points and the centroids) is sent on every change, and Dash's defaults are
kept (no response compression). Same control ids as the dashboard, so one driver pokes both.

Deliberate differences from the example, so both apps compute the same thing:
- the silhouette is exact on the scaled data (the example samples 300 raw points);
- the PCA plane is fitted on the scaled data (the example uses the raw pixels, whose
  much larger extent would give ~10x more mesh cells at h=0.02);
- n_init, k, seed and the map's init method come from the controls (the example fixes them).

Run: HOST=127.0.0.1 PORT=8051 python benchmarks/naive_app.py
"""

from __future__ import annotations

import os
from time import time

import numpy as np
import plotly.graph_objects as go
from dash import Dash, Input, Output, dcc, html
from sklearn import metrics
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

app = Dash(__name__, title="Naive K-means digits")
server = app.server


@server.route("/health")
def health():
    return "OK"


def bench_k_means(kmeans, name, data, labels, scaled):
    """The example's bench_k_means (silhouette: exact, on the scaled data)."""
    t0 = time()
    estimator = make_pipeline(StandardScaler(), kmeans).fit(data)
    fit_time = time() - t0
    results = [name, f"{fit_time:.3f}s", f"{estimator[-1].inertia_:.0f}"]
    clustering_metrics = [
        metrics.homogeneity_score,
        metrics.completeness_score,
        metrics.v_measure_score,
        metrics.adjusted_rand_score,
        metrics.adjusted_mutual_info_score,
    ]
    results += [f"{m(labels, estimator[-1].labels_):.3f}" for m in clustering_metrics]
    results += [f"{metrics.silhouette_score(scaled, estimator[-1].labels_, metric='euclidean'):.3f}"]
    return results


def number(id_, value, **extra):
    return html.Label([id_, dcc.Input(id=id_, type="number", value=value, **extra)])


app.layout = html.Div(
    [
        html.H1("K-means on handwritten digits (naive)"),
        dcc.RadioItems(
            id="init-method", options=["k-means++", "random", "PCA-based"], value="k-means++", inline=True
        ),
        number("n-init", 10, min=1, max=50),
        number("n-clusters", 10, min=2, max=30),
        number("random-seed", 0, min=0),
        number("mesh-step", 0.02, min=0.005, max=1, step=0.005),  # 0.02 and the benchmarks' steps on its grid
        html.Div(id="metrics-table"),
        html.Div(id="map-caption"),
        dcc.Graph(id="boundary-graph", style={"height": "600px"}),
    ]
)


@app.callback(
    Output("metrics-table", "children"),
    Output("boundary-graph", "figure"),
    Output("map-caption", "children"),
    Input("init-method", "value"),
    Input("n-init", "value"),
    Input("n-clusters", "value"),
    Input("random-seed", "value"),
    Input("mesh-step", "value"),
)
def update(init_method, n_init, n_clusters, seed, h):
    data, labels = load_digits(return_X_y=True)
    scaled = StandardScaler().fit_transform(data)
    n_init, n_clusters, seed, h = int(n_init), int(n_clusters), int(seed), float(h)

    rows = []
    kmeans = KMeans(init="k-means++", n_clusters=n_clusters, n_init=n_init, random_state=seed)
    rows.append(bench_k_means(kmeans=kmeans, name="k-means++", data=data, labels=labels, scaled=scaled))
    kmeans = KMeans(init="random", n_clusters=n_clusters, n_init=n_init, random_state=seed)
    rows.append(bench_k_means(kmeans=kmeans, name="random", data=data, labels=labels, scaled=scaled))
    pca = PCA(n_components=n_clusters).fit(scaled)
    kmeans = KMeans(init=pca.components_, n_clusters=n_clusters, n_init=1, random_state=seed)
    rows.append(bench_k_means(kmeans=kmeans, name="PCA-based", data=data, labels=labels, scaled=scaled))

    reduced_data = PCA(n_components=2).fit_transform(scaled)
    if init_method == "PCA-based":
        kmeans = KMeans(init="k-means++", n_clusters=n_clusters, n_init=1, random_state=seed)
    else:
        kmeans = KMeans(init=init_method, n_clusters=n_clusters, n_init=n_init, random_state=seed)
    kmeans.fit(reduced_data)

    x_min, x_max = reduced_data[:, 0].min() - 1, reduced_data[:, 0].max() + 1
    y_min, y_max = reduced_data[:, 1].min() - 1, reduced_data[:, 1].max() + 1
    xx, yy = np.meshgrid(np.arange(x_min, x_max, h), np.arange(y_min, y_max, h))
    Z = kmeans.predict(np.c_[xx.ravel(), yy.ravel()])
    Z = Z.reshape(xx.shape).astype(np.int32)
    centroids = kmeans.cluster_centers_

    figure = go.Figure(
        [
            go.Heatmap(z=Z, x=xx[0], y=yy[:, 0], colorscale="Viridis", showscale=False, opacity=0.5),
            go.Scatter(
                x=reduced_data[:, 0],
                y=reduced_data[:, 1],
                mode="markers",
                marker={"color": "black", "size": 3},
                name="digits",
            ),
            go.Scatter(
                x=centroids[:, 0],
                y=centroids[:, 1],
                mode="markers",
                marker={"symbol": "x", "size": 14, "color": "white", "line": {"width": 3}},
                name="centroids",
            ),
        ]
    )
    figure.update_layout(
        title="K-means clustering on the digits dataset (PCA-reduced data)<br>"
        "Centroids are marked with white cross",
        xaxis={"range": [x_min, x_max]},
        yaxis={"range": [y_min, y_max]},
    )

    header = ["init", "time", "inertia", "homo", "compl", "v-meas", "ARI", "AMI", "silhouette"]
    table = html.Table(
        [html.Tr([html.Th(cell) for cell in header])]
        + [html.Tr([html.Td(cell) for cell in row]) for row in rows]
    )
    caption = f"{init_method}, n_init {n_init}, k {n_clusters}, seed {seed}, h {h} ({Z.size:,} cells)"
    return table, figure, caption


if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8051")), debug=False)
