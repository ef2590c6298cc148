// Operator page: follow the unit under test over Server-Sent Events, show each step against
// its limits, the operator's prompt with one button per answer, then the unit's result.
// The page already shows everything up to data-last-id; the stream resumes after it.
// Every text comes from the page's #operator-messages block; data goes in with textContent.
(function () {
  "use strict";
  var root = document.getElementById("operator");
  if (!root) { return; }
  var words = JSON.parse(document.getElementById("operator-messages").textContent);
  var sn = document.getElementById("operator-sn");
  var steps = document.getElementById("operator-steps");
  var promptBox = document.getElementById("operator-prompt");
  var result = document.getElementById("operator-result");
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var runId = root.dataset.run;
  var svgNs = "http://www.w3.org/2000/svg";

  function focusScan() { if (sn) { sn.focus(); } }

  var chooser = document.getElementById("operator-plan");
  if (chooser) {
    chooser.addEventListener("change", function () { chooser.form.submit(); });
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      return values[key] == null ? "" : String(values[key]);
    });
  }

  function number(value) { return String(Number(Number(value).toPrecision(6))); }

  function span(cls, text) {
    var el = document.createElement("span");
    el.className = cls;
    el.textContent = text == null ? "" : String(text);
    return el;
  }

  function limits(step) {
    var values = {unit: step.unit || ""};
    if (step.low != null) { values.low = number(step.low); }
    if (step.high != null) { values.high = number(step.high); }
    if (step.low != null && step.high != null) { return fill(words.band, values).trim(); }
    if (step.low != null) { return fill(words.at_least, values).trim(); }
    if (step.high != null) { return fill(words.at_most, values).trim(); }
    return "";
  }

  // Where the value sits on a bar whose middle half is [low, high] (as the server draws it).
  function gauge(step) {
    var box = span("op-gauge", "");
    if (step.low == null || step.high == null || step.measured == null) { return box; }
    var width = (step.high - step.low) || 1;
    var at = Math.min(99, Math.max(1, 25 + (step.measured - step.low) / width * 50));
    var svg = document.createElementNS(svgNs, "svg");
    svg.setAttribute("viewBox", "0 0 100 10");
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("class", "op-track");
    svg.setAttribute("aria-hidden", "true");
    [["op-band", 25, 50], ["op-marker", at - 1, 2]].forEach(function (part) {
      var rect = document.createElementNS(svgNs, "rect");
      rect.setAttribute("class", part[0]);
      rect.setAttribute("x", String(part[1]));
      rect.setAttribute("y", "0");
      rect.setAttribute("width", String(part[2]));
      rect.setAttribute("height", "10");
      svg.appendChild(rect);
    });
    box.appendChild(svg);
    return box;
  }

  function row(number) {
    var el = document.getElementById("op-step-" + number);
    if (!el) {
      el = document.createElement("div");
      el.id = "op-step-" + number;
      el.dataset.number = number;
      var after = null;
      Array.prototype.forEach.call(steps.children, function (other) {
        if (Number(other.dataset.number) > number && after === null) { after = other; }
      });
      steps.insertBefore(el, after);
    }
    return el;
  }

  function showStep(step, verdict) {
    var el = row(step.number);
    var value = step.measured == null ? "" :
      (number(step.measured) + " " + (step.unit || "")).trim();
    el.className = "op-step " + verdict;
    el.replaceChildren(
      span("op-name", step.name || el.dataset.name || ""),
      span("op-value", value),
      span("op-limits", limits(step)),
      gauge(step),
      span("op-verdict", words.verdicts[verdict] || verdict),
      span("op-detail", value ? "" : (step.detail || "")));
    if (step.name) { el.dataset.name = step.name; }
    el.scrollIntoView({block: "nearest"});
  }

  function hidePrompt() {
    promptBox.hidden = true;
    promptBox.replaceChildren();
    focusScan();
  }

  function showPrompt(asked) {
    var question = span("op-question", asked.text);
    var form = document.createElement("form");
    form.method = "post";
    form.className = "op-answers";
    form.action = root.dataset.answerForm.replace("PROMPT_ID", encodeURIComponent(asked.prompt_id));
    form.dataset.prompt = asked.prompt_id;
    asked.answers.forEach(function (answer) {
      var button = document.createElement("button");
      button.type = "submit";
      button.className = "prompt-answer";
      button.name = "answer";
      button.value = answer;
      button.textContent = words.answers[answer] || answer;
      form.appendChild(button);
    });
    promptBox.replaceChildren(question, form);
    promptBox.dataset.number = asked.number;
    promptBox.hidden = false;  // the focus stays in the SN field: a scan's Enter answers nothing
  }

  function enable(form, usable) {
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) {
      b.disabled = !usable;
    });
  }

  // An answer goes to the JSON endpoint; the page stays and the stream goes on.
  promptBox.addEventListener("submit", function (e) {
    e.preventDefault();
    var button = e.submitter;
    if (!button) { return; }
    var form = e.target;
    enable(form, false);
    var prompt = form.dataset.prompt;
    fetch(root.dataset.answerApi.replace("PROMPT_ID", encodeURIComponent(prompt)), {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify({answer: button.value}),
      credentials: "same-origin"
    }).then(function (response) {
      if (response.ok) { hidePrompt(); return null; }
      return response.json().then(function (body) { throw new Error(body.error); });
    }).catch(function (error) {
      document.getElementById("operator-error").textContent =
        fill(words.answer_failed, {error: error.message});
      enable(form, true);
    });
  });

  function showResult(end, unitSn) {
    var verdict = end.verdict === "pass" ? "pass" : "fail";
    result.className = "op-result " + verdict + (end.verdict === "error" ? " error" : "");
    result.querySelector(".op-result-verdict").textContent =
      words.results[end.verdict] || end.verdict;
    result.querySelector(".op-result-sn").textContent = fill(words.unit, {sn: unitSn});
    result.querySelector(".op-result-failure").textContent =
      end.first_failure ? fill(words.first_failure, {step: end.first_failure}) : "";
    result.hidden = false;
    hidePrompt();
  }

  focusScan();
  if (!runId || root.dataset.closed === "true" || !window.EventSource) { return; }
  var unitSn = "";
  var unitLine = document.querySelector("#operator-unit .op-unit-sn");
  var source = new EventSource(root.dataset.events + "?after=" + root.dataset.lastId);
  source.addEventListener("run_started", function (e) {
    var run = JSON.parse(e.data);
    unitSn = run.sn;
    if (unitLine) { unitLine.textContent = fill(words.unit, {sn: run.sn}); }
  });
  source.addEventListener("step_started", function (e) {
    showStep(JSON.parse(e.data), "running");
  });
  source.addEventListener("step_finished", function (e) {
    var step = JSON.parse(e.data);
    showStep(step, step.verdict);
    if (!promptBox.hidden && Number(promptBox.dataset.number) === step.number) { hidePrompt(); }
  });
  source.addEventListener("prompt", function (e) { showPrompt(JSON.parse(e.data)); });
  source.addEventListener("prompt_answered", function () { hidePrompt(); });
  source.addEventListener("run_error", function (e) {
    var li = document.createElement("li");
    li.textContent = JSON.parse(e.data).error;
    document.getElementById("operator-errors").appendChild(li);
  });
  source.addEventListener("run_finished", function (e) {
    showResult(JSON.parse(e.data), unitSn || (unitLine ? unitLine.dataset.sn : ""));
  });
  source.addEventListener("end", function () {
    source.close();
    root.dataset.closed = "true";
    focusScan();
  });
}());
