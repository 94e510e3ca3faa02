// Small enhancements; every page works without them.
(function () {
  "use strict";

  function focusErrorSummary(root) {
    var summary = root.querySelector("[data-autofocus]");
    if (summary) summary.focus();
  }

  function countCharacters(textarea) {
    var max = parseInt(textarea.getAttribute("data-maxlength"), 10);
    var counter = document.getElementById(textarea.id + "-count");
    if (!max || !counter) return;
    var left = max - textarea.value.length;
    counter.textContent = left >= 0
      ? "You have " + left + (left === 1 ? " character" : " characters") + " remaining"
      : "You have " + -left + (left === -1 ? " character" : " characters") + " too many";
    counter.classList.toggle("field-error", left < 0);
  }

  function enhance(root) {
    focusErrorSummary(root);
    root.querySelectorAll("textarea[data-maxlength]").forEach(countCharacters);
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("textarea[data-maxlength]")) {
      countCharacters(event.target);
    }
  });
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSwap", function (event) { enhance(event.detail.target); });
})();
