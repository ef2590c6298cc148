// Live run page: add each step as its message arrives over Server-Sent Events.
// The page already shows every step up to data-last-id; the stream resumes after it,
// and EventSource sends Last-Event-ID itself when it reconnects, so no step is shown twice.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root || root.dataset.closed === "true" || !window.EventSource) { return; }
  var words = JSON.parse(document.getElementById("messages").textContent);
  var body = document.getElementById("steps");
  var verdict = document.getElementById("run-verdict");

  function cell(text, cls) {
    var td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    if (cls) { td.className = cls; }
    return td;
  }

  function row(step) {
    var tr = document.getElementById("step-" + step.number);
    if (!tr) {
      tr = document.createElement("tr");
      tr.id = "step-" + step.number;
      tr.dataset.number = step.number;
      var after = null;
      Array.prototype.forEach.call(body.children, function (other) {
        if (Number(other.dataset.number) > step.number && after === null) { after = other; }
      });
      body.insertBefore(tr, after);
    }
    return tr;
  }

  function show(step, state, detail) {
    var tr = row(step);
    tr.className = "step " + state;
    tr.replaceChildren(cell(step.number), cell(step.name || tr.dataset.name || ""),
      cell(words[state] || state, "verdict-cell"), cell(detail));
    if (step.name) { tr.dataset.name = step.name; }
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return String(values[key]); });
  }

  function removeStop() {
    var stop = document.getElementById("stop-form");
    if (stop) { stop.remove(); }
  }

  var source = new EventSource(root.dataset.events + "?after=" + root.dataset.lastId);
  source.addEventListener("run_started", function (e) {
    var run = JSON.parse(e.data);  // a page loaded before the run began names it now
    document.getElementById("live-title").textContent = fill(words.title, run);
    if (run.sn) {
      document.getElementById("live-unit").textContent =
        fill(words.unit, {run: run.run_id.slice(0, 8)}) + " " + run.sn;
    }
  });
  source.addEventListener("step_started", function (e) {
    var step = JSON.parse(e.data); show(step, "running", "");
  });
  source.addEventListener("step_progress", function (e) {
    var step = JSON.parse(e.data); var tr = row(step);
    tr.lastElementChild && (tr.lastElementChild.textContent = step.detail);
  });
  source.addEventListener("step_finished", function (e) {
    var step = JSON.parse(e.data); show(step, step.verdict, step.detail);
  });
  // An operator prompt: one plain form per question (answering reloads this page, which resumes).
  var promptBox = document.getElementById("run-prompt");
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  source.addEventListener("prompt", function (e) {
    var asked = JSON.parse(e.data);
    var text = document.createElement("p");
    text.className = "prompt-text";
    text.textContent = fill(words.prompt, asked) + " " + asked.text;
    var form = document.createElement("form");
    form.method = "post";
    form.action = promptBox.dataset.answerForm.replace("PROMPT_ID", encodeURIComponent(asked.prompt_id));
    var token = document.createElement("input");
    token.type = "hidden"; token.name = "csrf_token"; token.value = csrf;
    form.appendChild(token);
    asked.answers.forEach(function (answer) {
      var button = document.createElement("button");
      button.type = "submit"; button.className = "prompt-answer";
      button.name = "answer"; button.value = answer;
      button.textContent = words.answers[answer] || answer;
      form.appendChild(button);
    });
    promptBox.replaceChildren(text, form);
    promptBox.hidden = false;
  });
  source.addEventListener("prompt_answered", function () {
    promptBox.hidden = true; promptBox.replaceChildren();
  });
  source.addEventListener("run_error", function (e) {
    var li = document.createElement("li");
    li.textContent = JSON.parse(e.data).error;
    document.getElementById("run-errors").appendChild(li);
  });
  source.addEventListener("run_finished", function (e) {
    var end = JSON.parse(e.data);
    verdict.className = "verdict " + end.verdict;
    var said = end.status === "aborted" ? words.aborted : (words[end.verdict] || end.verdict);
    verdict.textContent = said + " · " + fill(words.counts, end);
    removeStop();
    promptBox.hidden = true;
  });
  source.addEventListener("end", function () {
    source.close(); root.dataset.closed = "true"; removeStop();
  });
}());
