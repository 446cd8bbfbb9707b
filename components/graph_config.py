"""The modebar every graph on the page shows: nothing that sends data elsewhere (no cloud upload,
no "edit in Chart Studio"), no selection tools the page does not use, no Plotly logo."""

GRAPH_CONFIG = {
    "displaylogo": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "showLink": False,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "sendChartToCloud"],
}
