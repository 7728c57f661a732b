// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";

  // A form marked data-submit-once sends once; the server also makes repeats harmless.
  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "yes";
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
    });
  });

  // The fieldwork monitor updates itself only while its user asks it to (WCAG 2.2.1).
  var autoUpdate = document.querySelector("[data-auto-update]");
  if (autoUpdate) {
    var key = "auto-update:" + location.pathname;
    autoUpdate.checked = sessionStorage.getItem(key) === "on";
    var timer = null;
    var schedule = function () {
      clearTimeout(timer);
      if (autoUpdate.checked) { timer = setTimeout(function () { location.reload(); }, 60000); }
    };
    autoUpdate.addEventListener("change", function () {
      sessionStorage.setItem(key, autoUpdate.checked ? "on" : "off");
      schedule();
    });
    autoUpdate.closest("[hidden]") && autoUpdate.closest("[hidden]").removeAttribute("hidden");
    schedule();
  }

  // An error summary takes focus, so screen readers and keyboards start from it.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }

  // Idle timeout on shared devices: warn a minute before, then clear this person's answers.
  var idle = parseInt(document.body.dataset.idleSeconds || "0", 10);
  if (!idle) { return; }
  var warnAt = Math.max(idle - 60, Math.floor(idle / 2)) * 1000;
  var warning = document.createElement("div");
  warning.className = "idle-warning";
  warning.setAttribute("role", "alertdialog");
  warning.setAttribute("aria-live", "assertive");
  warning.hidden = true;
  var text = document.createElement("p");
  text.textContent = "Are you still there? Your answers will be cleared in one minute to keep them private.";
  var keep = document.createElement("button");
  keep.type = "button";
  keep.className = "button";
  keep.textContent = "I'm still here";
  warning.appendChild(text);
  warning.appendChild(keep);
  document.body.appendChild(warning);

  var token = document.querySelector("input[name=csrf_token]");
  var timers = [];
  function clearAnswers() {
    var form = document.createElement("form");
    form.method = "post";
    form.action = document.body.dataset.finishUrl;
    if (token) { form.appendChild(token.cloneNode()); }
    document.body.appendChild(form);
    form.submit();
  }
  function restart() {
    timers.forEach(clearTimeout);
    warning.hidden = true;
    timers = [setTimeout(function () { warning.hidden = false; keep.focus(); }, warnAt),
              setTimeout(clearAnswers, idle * 1000)];
  }
  keep.addEventListener("click", function () {
    // Tell the server too, or it would clear a draft the pupil is still working on.
    var body = new URLSearchParams();
    if (token) { body.append("csrf_token", token.value); }
    fetch(document.body.dataset.stillHereUrl, { method: "POST", body: body, credentials: "same-origin" });
    restart();
  });
  ["keydown", "pointerdown", "touchstart"].forEach(function (name) {
    document.addEventListener(name, function () { if (warning.hidden) { restart(); } }, { passive: true });
  });
  restart();
})();
