// The arrow keys step a number field within its range, as its − and + buttons do: a number
// input with step="any" and no min/max (components/controls.py says why) would step past
// any range on its own. A field without steppers (the mesh step) is not stepped by keys.
(function () {
  function numberField(target) {
    return target instanceof HTMLInputElement && target.type === "number" && target.closest(".controls");
  }
  document.addEventListener("keydown", function (event) {
    if ((event.key !== "ArrowUp" && event.key !== "ArrowDown") || !numberField(event.target)) return;
    event.preventDefault();
    const suffix = event.key === "ArrowUp" ? "-increment" : "-decrement";
    const button = document.getElementById(event.target.id + suffix);
    if (button && !button.disabled) button.click();
  }, true);
  // Chromium also steps a focused number input under a turning mouse wheel.
  document.addEventListener("wheel", function (event) {
    if (numberField(event.target) && document.activeElement === event.target) event.preventDefault();
  }, { capture: true, passive: false });
})();
