// The − and + buttons of the number fields: a click steps the field at once, from what it shows
// (typed, maybe not sent yet), within its range (the button's data-low and data-high), so 99
// then − gives 50. The new value goes straight into Dash (set_props), so the refit's request
// leaves with the click rather than after a round of callbacks. The arrow keys click these
// buttons (controls_keys.js); a disabled button gets no click. Enter in a number field sends
// what it shows at once, the same way (dcc.Input's own Enter handling then finds nothing new).
(function () {
  "use strict";
  // The typing pause: a number field sends what is typed once typing stops for its
  // controls' data-typing-pause-ms (components/controls.py); Enter, a step or leaving the field
  // cancel it.
  const pending = new Map(); // field id -> timer
  function cancelPause(id) {
    clearTimeout(pending.get(id));
    pending.delete(id);
  }
  const numberField = (field) => field instanceof HTMLInputElement && field.type === "number"
    && !!field.closest(".controls") && !!window.dash_clientside && !!window.dash_clientside.set_props;
  document.addEventListener("input", function (event) {
    const field = event.target;
    const pause = numberField(field) && Number(field.closest(".controls").dataset.typingPauseMs);
    if (!pause) return;
    cancelPause(field.id);
    pending.set(field.id, setTimeout(function () {
      pending.delete(field.id);
      const typed = field.value !== "" && field.checkValidity() ? Number(field.value) : null;
      window.dash_clientside.set_props(field.id, { value: Number.isFinite(typed) ? typed : null });
    }, pause));
  }, true);
  document.addEventListener("blur", function (event) {
    if (event.target && event.target.id) cancelPause(event.target.id); // dcc.Input sends on blur
  }, true);
  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("button.stepper[data-field]");
    if (!button || button.disabled || !window.dash_clientside || !window.dash_clientside.set_props) return;
    // Dash's own click handling (the button's n_clicks) has nothing to do: stop it here.
    event.stopPropagation();
    const field = document.getElementById(button.dataset.field);
    if (!field) return;
    cancelPause(field.id);
    const low = Number(button.dataset.low), high = Number(button.dataset.high);
    const typed = field.value !== "" ? Number(field.value) : NaN;
    const from = Number.isFinite(typed) ? Math.round(typed) : low;
    const next = Math.min(high, Math.max(low, from + Number(button.dataset.delta)));
    field.value = String(next);
    window.dash_clientside.set_props(button.dataset.field, { value: next });
  }, true);
  document.addEventListener("keydown", function (event) {
    const field = event.target;
    if (event.key !== "Enter" || !numberField(field)) return;
    cancelPause(field.id);
    const typed = field.value !== "" ? Number(field.value) : NaN;
    // Anything else (empty, not a number) takes the usual way, to the server's message.
    if (!Number.isFinite(typed)) return;
    window.dash_clientside.set_props(field.id, { value: typed });
  }, true);
})();
