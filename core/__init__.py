"""Pure maths and data: datasets, the one settings validator, fits and metrics, matching and
names, the decision boundary, sweeps, replay, sharing and colour. No processes, threads, files,
Flask or Dash: `python -c "import core"` needs scikit-learn alone."""
