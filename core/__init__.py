"""Pure K-means core: data, validation, fitting, metrics and the decision boundary.

Nothing in this package imports Dash, so it can be tested and timed on its own.
"""
