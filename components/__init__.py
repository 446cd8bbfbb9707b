"""Pure functions from core results to Dash components and Plotly figures (no callbacks here)."""
