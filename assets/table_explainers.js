// The metrics table's header explainers open on hover and on keyboard focus (CSS). A tap on a
// touch screen does not reliably focus a button (Safari), so a click toggles it open too; a
// click elsewhere or Escape closes it.
(function () {
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest(".th-help");
    document.querySelectorAll(".metrics thead th.open").forEach((th) => {
      if (!button || th !== button.parentElement) th.classList.remove("open");
    });
    if (button) button.parentElement.classList.toggle("open");
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    document.querySelectorAll(".metrics thead th.open").forEach((th) => th.classList.remove("open"));
    // An explainer opened by focus is dismissed too (WCAG 1.4.13), without moving focus far.
    const active = document.activeElement;
    if (active && active.classList && active.classList.contains("th-help")) active.blur();
  });
})();
