// Dash 4 renders dcc.RadioItems as role="listbox" holding labels with role="option" around
// native radio inputs: an interactive element inside another, with no accessible name (axe:
// nested-interactive, aria-input-field-name). The native radios already say it all, so the
// group becomes a named radiogroup and the labels plain labels again, after every render.
(function () {
  function fix() {
    document.querySelectorAll(".dash-radioitems[role='listbox']").forEach(function (group) {
      group.setAttribute("role", "radiogroup");
      const label = document.getElementById(group.id + "-label");
      if (label) group.setAttribute("aria-labelledby", label.id);
    });
    document.querySelectorAll(".dash-radioitems label[role='option']").forEach(function (option) {
      option.removeAttribute("role");
      option.removeAttribute("aria-selected");
    });
  }
  new MutationObserver(fix).observe(document.documentElement, {
    childList: true, subtree: true, attributes: true, attributeFilter: ["role", "aria-selected"],
  });
})();
