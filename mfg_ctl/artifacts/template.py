"""The Jinja2 template of the qualification report: one HTML5 page, its style inline.

No scripts, no links, no images fetched: the page opens the same from a USB
stick, an e-mail or an archive in ten years. Every value goes through Jinja2's
autoescaping; CSS classes come from fixed tables in :mod:`.html`, never from
data. The page prints on A4 (tables keep their rows whole, colours print).
"""

from __future__ import annotations

__all__ = ["REPORT_TEMPLATE"]

_STYLE = """
:root { --pass: #d8f0dc; --fail: #f7d4d4; --notrun: #fbeec8; --none: #eceff1; --ink: #1d2327; }
* { box-sizing: border-box; }
body { font: 14px/1.4 "DejaVu Sans", Arial, sans-serif; color: var(--ink); margin: 24px auto;
       max-width: 1100px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; border-bottom: 2px solid #90a4ae; padding-bottom: 2px; margin-top: 28px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
nav { font-size: 12px; margin: 8px 0 0; }
nav a { color: #37474f; margin-right: 10px; }
.meta { border-collapse: collapse; }
.meta th { text-align: left; padding: 1px 14px 1px 0; font-weight: normal; color: #546e7a; }
.generated { color: #546e7a; font-size: 12px; }
.kpis { display: flex; flex-wrap: wrap; gap: 8px; padding: 0; list-style: none; }
.kpis li { border: 1px solid #b0bec5; border-radius: 4px; padding: 6px 12px; min-width: 120px; }
.kpis .value { display: block; font-size: 20px; font-weight: bold; }
.kpis .label { font-size: 12px; color: #546e7a; }
table.data { border-collapse: collapse; margin: 6px 0 12px; font-size: 12px; }
table.data th, table.data td { border: 1px solid #b0bec5; padding: 3px 6px; text-align: left;
                               vertical-align: top; }
table.data th { background: #eceff1; }
table.data td.num { text-align: right; font-variant-numeric: tabular-nums; }
.wide { overflow-x: auto; }
table.matrix th.step { font-weight: normal; font-size: 11px; min-width: 64px; }
.pass { background: var(--pass); }
.fail { background: var(--fail); }
.notrun { background: var(--notrun); }
.notcovered { background: var(--none); font-style: italic; }
.empty { background: #ffffff; }
.note { color: #546e7a; font-size: 12px; }
svg.pareto { max-width: 100%; height: auto; font-size: 10px; }
svg.pareto .bar { fill: #5c7a99; }
svg.pareto .cumulative { fill: none; stroke: #c62828; stroke-width: 2; }
svg.pareto .dot { fill: #c62828; }
svg.pareto .axis { stroke: #37474f; stroke-width: 1; }
svg.pareto .grid { stroke: #cfd8dc; stroke-width: 0.5; }
svg.pareto text { fill: #263238; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 11px; }
  nav { display: none; }
  .wide { overflow: visible; }
  table.data { font-size: 9px; }
  table.matrix th.step { writing-mode: vertical-rl; transform: rotate(180deg); min-width: 0; }
  tr, .kpis li, svg.pareto { break-inside: avoid; }
  thead { display: table-header-group; }
  h2 { break-after: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

_PARETO = """
{% macro pareto(title, entries, chart, what) %}
<h3>{{ title }}</h3>
{% if entries %}
{% if chart %}
<svg class="pareto" role="img" viewBox="0 0 {{ chart.width }} {{ chart.height }}"
     width="{{ chart.width }}" height="{{ chart.height }}">
<title>{{ title }}: counts as bars, cumulative percent as a line</title>
{% for y, tick in chart.count_ticks %}
<line class="grid" x1="{{ chart.left }}" y1="{{ y }}" x2="{{ chart.right }}" y2="{{ y }}"></line>
<text x="{{ chart.left - 6 }}" y="{{ y + 3 }}" text-anchor="end">{{ tick }}</text>
{% endfor %}
{% for y, tick in chart.percent_ticks %}
<text x="{{ chart.right + 6 }}" y="{{ y + 3 }}">{{ tick }} %</text>
{% endfor %}
{% for bar in chart.bars %}
<rect class="bar" x="{{ bar.x }}" y="{{ bar.y }}" width="{{ bar.width }}" height="{{ bar.height }}"
      data-count="{{ bar.count }}"><title>{{ bar.name }}: {{ bar.count }}</title></rect>
<text x="{{ bar.centre }}" y="{{ chart.bottom + 12 }}" text-anchor="end"
      transform="rotate(-40 {{ bar.centre }} {{ chart.bottom + 12 }})">{{ bar.label }}</text>
{% endfor %}
<line class="axis" x1="{{ chart.left }}" y1="{{ chart.top }}" x2="{{ chart.left }}"
      y2="{{ chart.bottom }}"></line>
<line class="axis" x1="{{ chart.right }}" y1="{{ chart.top }}" x2="{{ chart.right }}"
      y2="{{ chart.bottom }}"></line>
<line class="axis" x1="{{ chart.left }}" y1="{{ chart.bottom }}" x2="{{ chart.right }}"
      y2="{{ chart.bottom }}"></line>
<polyline class="cumulative" points="{{ chart.line_points }}"></polyline>
{% for bar in chart.bars %}
<circle class="dot" cx="{{ bar.centre }}" cy="{{ bar.line_y }}" r="2.5"></circle>
{% endfor %}
</svg>
{% if chart.bars|length < chart.total_entries %}
<p class="note">The chart shows the first {{ chart.bars|length }} of {{ chart.total_entries }};
the table lists all.</p>
{% endif %}
{% endif %}
<table class="data">
<thead><tr><th scope="col">{{ what }}</th><th scope="col">count</th><th scope="col">percent</th>
<th scope="col">cumulative</th></tr></thead>
<tbody>
{% for entry in entries %}
<tr><td>{{ entry.name }}</td><td class="num">{{ entry.count }}</td>
<td class="num">{{ entry.percent }}</td><td class="num">{{ entry.cumulative }}</td></tr>
{% endfor %}
</tbody>
</table>
{% else %}
<p class="note">None.</p>
{% endif %}
{% endmacro %}
"""

_BODY = """
<header id="header">
<h1>Qualification report: batch {{ head.batch_id }}</h1>
<table class="meta">
<tbody>
<tr><th scope="row">Station</th><td>{{ head.station_id }}</td></tr>
<tr><th scope="row">Stage</th><td>{{ head.stage }}</td></tr>
<tr><th scope="row">Plan</th><td>{{ head.plan }}</td></tr>
<tr><th scope="row">Operators</th><td>{{ head.operators }}</td></tr>
<tr><th scope="row">Started</th><td>{{ head.started }}</td></tr>
<tr><th scope="row">Finished</th><td>{{ head.finished }}</td></tr>
<tr><th scope="row">Artifacts</th><td>{{ head.run_dir }}</td></tr>
</tbody>
</table>
<p class="generated">{{ head.generated }}</p>
<nav><a href="#kpis">Results</a><a href="#pareto">Pareto</a><a href="#coverage">Coverage</a>
<a href="#units">Units</a><a href="#failures">Failed steps</a>
<a href="#not-tested">Not tested</a><a href="#stratification">By station, stage, ...</a></nav>
</header>

<section id="kpis">
<h2>Results</h2>
<ul class="kpis">
{% for label, value in kpis %}
<li><span class="value">{{ value }}</span><span class="label">{{ label }}</span></li>
{% endfor %}
</ul>
{% if stages %}
<table class="data">
<thead><tr><th scope="col">stage</th><th scope="col">tested</th><th scope="col">FPY</th>
</tr></thead>
<tbody>
{% for stage in stages %}
<tr><td>{{ stage.stage }}</td><td class="num">{{ stage.tested }}</td>
<td class="num">{{ stage.fpy }}</td></tr>
{% endfor %}
</tbody>
</table>
{% endif %}
</section>

<section id="pareto">
<h2>Pareto of failures</h2>
{{ pareto("Failing steps", pareto_steps, steps_chart, "step") }}
{{ pareto("Error codes", pareto_codes, codes_chart, "error code") }}
</section>

<section id="coverage">
<h2>Requirement coverage</h2>
<p class="note">{{ coverage_note }}</p>
{% if matrix_rows %}
<div class="wide">
<table class="data matrix">
<thead><tr><th scope="col">requirement</th><th scope="col">title</th><th scope="col">method</th>
<th scope="col">status</th>
{% for label in step_labels %}<th scope="col" class="step">{{ label }}</th>{% endfor %}
</tr></thead>
<tbody>
{% for row in matrix_rows %}
<tr><th scope="row">{{ row.id }}</th><td>{{ row.title }}</td><td>{{ row.method }}</td>
<td class="{{ row.css }}">{{ row.status }}</td>
{% for text, css in row.cells %}<td class="{{ css }}">{{ text }}</td>{% endfor %}
</tr>
{% endfor %}
</tbody>
</table>
</div>
{% else %}
<p class="note">No requirements: the plan names none.</p>
{% endif %}
</section>

<section id="units">
<h2>Units</h2>
{% if units %}
<table class="data">
<thead><tr><th scope="col">serial number</th><th scope="col">run</th><th scope="col">status</th>
<th scope="col">first failing step</th><th scope="col">retried</th>
<th scope="col">error codes</th></tr></thead>
<tbody>
{% for unit in units %}
<tr><td>{{ unit.sn }}</td><td>{{ unit.run }}</td><td class="{{ unit.css }}">{{ unit.status }}</td>
<td>{{ unit.first_failure }}</td><td>{{ unit.retried }}</td><td>{{ unit.error_codes }}</td></tr>
{% endfor %}
</tbody>
</table>
{% else %}
<p class="note">No unit was run.</p>
{% endif %}
</section>

<section id="failures">
<h2>Failed steps</h2>
{% if failures %}
<table class="data">
<thead><tr><th scope="col">serial number</th><th scope="col">step</th><th scope="col">status</th>
<th scope="col">value</th><th scope="col">low</th><th scope="col">high</th><th scope="col">unit</th>
<th scope="col">error code</th><th scope="col">reason</th><th scope="col">attempts</th></tr></thead>
<tbody>
{% for failure in failures %}
<tr><td>{{ failure.sn }}</td><td>{{ failure.step }}</td><td class="fail">{{ failure.status }}</td>
<td class="num">{{ failure.value }}</td><td class="num">{{ failure.low }}</td>
<td class="num">{{ failure.high }}</td><td>{{ failure.unit }}</td>
<td>{{ failure.error_code }}</td><td>{{ failure.reason }}</td>
<td class="num">{{ failure.attempts }}</td></tr>
{% endfor %}
</tbody>
</table>
{% else %}
<p class="note">No step failed.</p>
{% endif %}
</section>

<section id="not-tested">
<h2>Units not tested</h2>
{% if not_tested %}
<ul>
{% for sn in not_tested %}<li>{{ sn }}</li>{% endfor %}
</ul>
{% else %}
<p class="note">None: every unit of the batch was tested.</p>
{% endif %}
</section>

<section id="stratification">
<h2>Yield by station, stage, batch, operator and hour</h2>
{% for title, strata in stratification %}
<h3>By {{ title }}</h3>
<table class="data">
<thead><tr><th scope="col">{{ title }}</th><th scope="col">tested</th>
<th scope="col">first pass</th><th scope="col">passed</th><th scope="col">FPY</th>
<th scope="col">final yield</th></tr></thead>
<tbody>
{% for stratum in strata %}
<tr><td>{{ stratum.key }}</td><td class="num">{{ stratum.tested }}</td>
<td class="num">{{ stratum.first_pass }}</td><td class="num">{{ stratum.passed }}</td>
<td class="num">{{ stratum.fpy }}</td><td class="num">{{ stratum.final_yield }}</td></tr>
{% endfor %}
</tbody>
</table>
{% else %}
<p class="note">No figures.</p>
{% endfor %}
</section>
"""

REPORT_TEMPLATE = (
    _PARETO.strip()
    + """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Qualification report: batch {{ head.batch_id }}</title>
<style>"""
    + _STYLE
    + """</style>
</head>
<body>
"""
    + _BODY
    + """</body>
</html>
"""
)
