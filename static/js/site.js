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

  // A follow-up question is shown only while the answers it depends on are chosen.
  function revealFollowUps(form) {
    form.querySelectorAll("[data-show-if]").forEach(function (question) {
      var conditions = JSON.parse(question.getAttribute("data-show-if"));
      question.hidden = !Object.keys(conditions).every(function (name) {
        return conditions[name].some(function (value) {
          var inputs = form.querySelectorAll("input[name='" + name + "']");
          return Array.prototype.some.call(inputs, function (input) {
            return input.checked && input.value === value;
          });
        });
      });
    });
  }

  // The survey builder's question form shows only the settings of the type chosen (none
  // until one is), and the new page's title only when a new page is chosen.
  function showTypeSettings(form) {
    var chosen = form.querySelector("input[name='type']:checked");
    form.querySelectorAll("[data-for-types]").forEach(function (part) {
      part.hidden = !chosen || part.getAttribute("data-for-types").split(" ").indexOf(chosen.value) < 0;
    });
    var page = form.querySelector("select[name='page']");
    form.querySelectorAll("[data-for-page]").forEach(function (part) {
      part.hidden = !!page && page.value !== part.getAttribute("data-for-page") && !part.querySelector(".field-error");
    });
  }

  // After htmx swaps in a new step, move focus as a page load would: to the error
  // summary if there is one, otherwise to the heading, so screen readers announce it.
  function focusNewStep(root) {
    if (root.querySelector("[data-autofocus]")) return focusErrorSummary(root);
    var heading = root.querySelector("h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
    }
  }

  // Choosing a call: with JavaScript, pick a day and htmx loads its free times; the
  // list of every day's times, which is what works without JavaScript, is folded away.
  function showDayPicker(root) {
    var picker = root.querySelector("[data-day-picker]");
    if (!picker || !window.htmx) return; // without htmx a day could not load its times
    picker.hidden = false;
    var times = document.getElementById("call-times");
    // After an error the list stays open, so the error and the controls it names are seen.
    if (!times || !times.hasAttribute("data-all-days") || times.querySelector(".field-error")) return;
    times.querySelectorAll("fieldset").forEach(function (group) { group.hidden = true; });
    var prompt = times.querySelector("[data-times-prompt]");
    if (prompt) prompt.hidden = false;
  }

  function enhance(root) {
    showDayPicker(root);
    focusErrorSummary(root);
    root.querySelectorAll("textarea[data-maxlength]").forEach(countCharacters);
    root.querySelectorAll("form").forEach(revealFollowUps);
    root.querySelectorAll("form").forEach(showTypeSettings);
  }

  // The count is read out by screen readers, so it is updated once typing pauses.
  var countTimer;
  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target.matches && target.matches("textarea[data-maxlength]")) {
      clearTimeout(countTimer);
      countTimer = setTimeout(function () { countCharacters(target); }, 500);
    }
  });
  document.addEventListener("change", function (event) {
    if (event.target.form) {
      revealFollowUps(event.target.form);
      showTypeSettings(event.target.form);
    }
  });
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  // Say what a chosen day's times are, since the swapped-in list itself is not announced.
  function announceTimes() {
    var times = document.getElementById("call-times");
    var status = document.getElementById("times-status");
    if (!times || !status) return;
    var count = times.querySelectorAll("input[name='slot']").length;
    var legend = times.querySelector("legend");
    status.textContent = count && legend
      ? count + (count === 1 ? " time free. " : " times free. ") + legend.textContent
      : times.textContent.trim();
  }

  // The survey builder: after a move swaps in the new order, focus goes back to what moved.
  var moved = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var item = event.detail.elt.closest ? event.detail.elt.closest("[data-movable]") : null;
    moved = item ? item.id : null;
  });
  function focusMoved() {
    var item = moved && document.getElementById(moved);
    moved = null;
    if (!item) return;
    item.setAttribute("tabindex", "-1");
    item.focus();
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (moved) focusMoved();
    if (target.id === "call-times") announceTimes();
    enhance(target);
    // A step of the survey, or a whole page (an error, the closed page) put in its place.
    if (target.id === "survey" || target === document.body) focusNewStep(target);
  });

  // On a poor connection a request can fail or time out: say so, rather than nothing.
  function connectionProblem(event) {
    var form = event.detail.elt && event.detail.elt.closest ? event.detail.elt.closest("form") : null;
    var place = form || document.getElementById("main");
    if (!place || place.querySelector(".connection-problem")) return;
    var notice = document.createElement("div");
    notice.className = "notice notice-error connection-problem";
    notice.setAttribute("role", "alert");
    notice.textContent = "We could not reach the site. Check your connection, then try again.";
    place.insertBefore(notice, place.firstChild);
  }
  document.addEventListener("htmx:sendError", connectionProblem);
  document.addEventListener("htmx:timeout", connectionProblem);
  document.addEventListener("htmx:beforeRequest", function () {
    var old = document.querySelector(".connection-problem");
    if (old) old.remove();
  });
})();
