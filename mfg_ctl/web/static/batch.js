// Live batch page: add each unit as it finishes (Server-Sent Events, resumed after data-last-id).
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root || root.dataset.closed === "true" || !window.EventSource) { return; }
  var words = JSON.parse(document.getElementById("messages").textContent);
  var body = document.getElementById("units");
  var progress = document.getElementById("batch-progress");
  var total = Number(root.dataset.total);

  function cell(text, cls) {
    var td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    if (cls) { td.className = cls; }
    return td;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return String(values[key]); });
  }

  var source = new EventSource(root.dataset.events + "?after=" + root.dataset.lastId);
  source.addEventListener("batch_started", function (e) {
    total = JSON.parse(e.data).sns.length;
  });
  source.addEventListener("unit_finished", function (e) {
    var unit = JSON.parse(e.data);
    var tr = document.createElement("tr");
    tr.className = "unit " + unit.verdict;
    tr.dataset.sn = unit.sn;
    var link = document.createElement("a");
    link.href = "/runs/" + encodeURIComponent(unit.run_id);
    link.textContent = unit.sn;
    var first = document.createElement("td");
    first.appendChild(link);
    tr.append(first, cell(words[unit.verdict] || unit.verdict, "verdict-cell"), cell(unit.first_failure));
    body.appendChild(tr);
    progress.textContent = fill(words.units, {done: body.children.length, total: total});
  });
  source.addEventListener("run_error", function (e) {
    var li = document.createElement("li");
    li.textContent = JSON.parse(e.data).error;
    document.getElementById("run-errors").appendChild(li);
  });
  source.addEventListener("batch_finished", function () {
    var stop = document.getElementById("stop-form");
    if (stop) { stop.remove(); }
  });
  source.addEventListener("end", function () { source.close(); root.dataset.closed = "true"; });
}());
