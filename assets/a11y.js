// Dash 4's dcc.Slider renders a number box and a thumb without a name (axe: label,
// aria-input-field-name): both take the name of the wrapper's aria-label, of an element
// "<id>-label", or else the slider's id in words.
// Dash 4 renders dcc.RadioItems as role="listbox" holding labels with role="option" around
// native radio inputs: an interactive element inside another, with no accessible name (axe:
// nested-interactive, aria-input-field-name). The native radios already say it all, so the
// group becomes a named radiogroup and the labels plain labels again, after every render.
// dcc.Checklist is rendered the same way around native checkboxes: it becomes a group, named by
// "<id>-label" where there is one.
// Dash 4's dcc.Dropdown names its button after the value shown alone (aria-labelledby), which
// hides the field's label: "Handwritten digits, button". The label "<id>-label" goes first.
(function () {
  function fix() {
    document.querySelectorAll(".dash-radioitems[role='listbox'], .dash-checklist[role='listbox']").forEach(
      function (group) {
        group.setAttribute("role", group.classList.contains("dash-checklist") ? "group" : "radiogroup");
        const label = document.getElementById(group.id + "-label");
        if (label) group.setAttribute("aria-labelledby", label.id);
      });
    document.querySelectorAll(".dash-slider-container[id]").forEach(function (slider) {
      const label = document.getElementById(slider.id + "-label");
      const name = (slider.parentElement && slider.parentElement.getAttribute("aria-label"))
        || (label && label.textContent.trim()) || slider.id.replace(/-/g, " ");
      slider.querySelectorAll("input, [role='slider']").forEach(function (part) {
        if (!part.getAttribute("aria-label")) part.setAttribute("aria-label", name);
      });
    });
    document.querySelectorAll(".dash-dropdown[id][aria-labelledby]").forEach(function (button) {
      const label = document.getElementById(button.id + "-label");
      const ids = button.getAttribute("aria-labelledby").split(/\s+/);
      if (label && ids[0] !== label.id) {
        button.setAttribute("aria-labelledby", [label.id].concat(ids.filter((id) => id !== label.id)).join(" "));
      }
    });
    document.querySelectorAll(".dash-radioitems label[role='option'], .dash-checklist label[role='option']")
      .forEach(function (option) {
      option.removeAttribute("role");
      option.removeAttribute("aria-selected");
    });
  }
  new MutationObserver(fix).observe(document.documentElement, {
    childList: true, subtree: true, attributes: true, attributeFilter: ["role", "aria-selected", "aria-labelledby"],
  });
})();
