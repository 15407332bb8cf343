/* Accessible names that contain the visible label (WCAG 2.1, 2.5.3 "label in name").
 *
 * pydata-sphinx-theme 0.16.1 writes an aria-label into two of its buttons that leaves out
 * text a sighted reader sees: the search field shows "Search Ctrl+K" but is named "Search",
 * and the colour-mode button shows the current mode's icon, titled "Light", "Dark" or
 * "System Settings", but is named "Color mode". A speech-input user who says what they see
 * cannot reach them. CSS cannot change an accessible name and the book's configuration has no
 * setting for these labels, so this script names each button after what it shows, once the
 * page has loaded and again whenever the colour mode changes.
 */
(function () {
  "use strict";

  function visibleText(element) {
    return element.textContent.replace(/\s+/g, " ").trim();
  }

  function nameSearchFields() {
    document.querySelectorAll(".search-button-field[aria-label]").forEach(function (button) {
      button.setAttribute("aria-label", visibleText(button));
    });
  }

  function nameColourModeButtons() {
    var mode = document.documentElement.dataset.mode || "auto";
    document.querySelectorAll(".theme-switch-button").forEach(function (button) {
      var icon = button.querySelector('.theme-switch[data-mode="' + mode + '"]');
      var shown = icon ? icon.getAttribute("title") : mode;
      button.setAttribute("aria-label", "Color mode: " + shown);
    });
  }

  function start() {
    nameSearchFields();
    nameColourModeButtons();
    new MutationObserver(nameColourModeButtons).observe(document.documentElement, {
      attributes: true,
      attributeFilter: ["data-mode"],
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
