// The − and + buttons of the number fields: a click steps the field at once, from what it shows
// (typed, maybe not sent yet), within its range (the button's data-low and data-high), so 99
// then − gives 50. The new value goes straight into Dash (set_props), so the refit's request
// leaves with the click rather than after a round of callbacks. The arrow keys click these
// buttons (controls_keys.js); a disabled button gets no click. Enter in a number field sends
// what it shows at once, the same way (dcc.Input's own Enter handling, callbacks/controls.py,
// then finds nothing new to send).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("button.stepper[data-field]");
    if (!button || button.disabled || !window.dash_clientside || !window.dash_clientside.set_props) return;
    // Dash's own click handling (the button's n_clicks) has nothing to do: stop it here.
    event.stopPropagation();
    const field = document.getElementById(button.dataset.field);
    if (!field) return;
    const low = Number(button.dataset.low), high = Number(button.dataset.high);
    const typed = field.value !== "" ? Number(field.value) : NaN;
    const from = Number.isFinite(typed) ? Math.round(typed) : low;
    const next = Math.min(high, Math.max(low, from + Number(button.dataset.delta)));
    field.value = String(next);
    window.dash_clientside.set_props(button.dataset.field, { value: next });
  }, true);
  document.addEventListener("keydown", function (event) {
    const field = event.target;
    if (event.key !== "Enter" || !(field instanceof HTMLInputElement) || field.type !== "number"
        || !field.closest(".controls") || !window.dash_clientside || !window.dash_clientside.set_props) return;
    const typed = field.value !== "" ? Number(field.value) : NaN;
    // Anything else (empty, not a number) takes the usual way, to the server's message.
    if (!Number.isFinite(typed)) return;
    const send = () => window.dash_clientside.set_props(field.id, { value: typed });
    // A valid mesh step is drawn at once, in the page (assets/map_regions.js); Dash gets it after.
    const map = window.dash_clientside.kmeansMap;
    if (field.id === "mesh-step" && map && map.drawStepNow && map.drawStepNow(typed, send)) return;
    send();
  }, true);
})();
