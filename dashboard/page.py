"""The local dashboard: one self-contained HTML page drawn from the marts (no CDN, opens offline).

    python -m dashboard [--out PATH] [--area tokyo]     (or `python -m ml report`, `make dashboard`)

For DuckDB users without Looker Studio. The page holds its data as inline JSON and draws five
views as inline SVG with a few dozen lines of plain JavaScript (no library, so nothing to fetch):

1. Forecast: actual demand, the latest daily forecast with its 90 % interval band (and how often
   that band held the actual, by horizon group, over the daily runs scored so far), and TEPCO's
   own forecast where the warehouse has it.
2. Accuracy by horizon day (MAPE) against the seasonal-naive and TEPCO baselines.
3. Hour × horizon-day error map (MAPE).
4. Pipeline: the latest status of each stage, the duration of recent runs, the data-quality checks.
5. Temperature against demand (daily means, the last 365 complete days; rpt_demand_daily).

Reads go through the same dlt SQL client as the ML step, so the page can be made from BigQuery
too. Each chart marks itself with `data-drawn="<marks>"` and the page with `data-status`, so a
headless browser test can tell that every chart drew data.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from core.settings import Settings, known_area
from core.warehouse import Marts, marts_pipeline, read_df


@dataclass
class DashboardData:
    area: str
    generated_at: str
    views: dict[str, Any]


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-safe rows: timestamps as ISO text, NaN as null."""
    out = []
    for row in df.to_dict(orient="records"):
        clean = {}
        for k, v in row.items():
            if v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
                v = None
            elif isinstance(v, (pd.Timestamp, datetime, date)):
                v = v.isoformat()
            elif hasattr(v, "item"):
                v = v.item()
            clean[k] = v
        out.append(clean)
    return out


def load(settings: Settings, area: str = "tokyo") -> DashboardData:
    """Query the marts for the five views (small result sets: a few thousand rows in all)."""
    pipe = marts_pipeline(settings)

    def q(sql: str, table: str, *params: Any) -> pd.DataFrame:
        try:
            return read_df(pipe, sql, table=table, params=params)
        except Exception as exc:  # noqa: BLE001 - a missing mart leaves its view empty, and says why
            print(f"report: {table} not readable ({type(exc).__name__}); its view stays empty")
            return pd.DataFrame()

    a = known_area(area)
    latest = q(
        "select run_id, issue_date_jst from {table} where area = %s and run_kind = 'daily' "
        "and model = 'xgboost' order by issued_at desc limit 1",
        Marts.FORECASTS,
        a,
    )
    views: dict[str, Any] = {}
    if latest.empty:
        forecast, actual = pd.DataFrame(), pd.DataFrame()
        run_id, issue = None, None
    else:
        run_id = str(latest["run_id"].iloc[0])
        issue = pd.Timestamp(latest["issue_date_jst"].iloc[0]).date()
        forecast = q(
            "select target_hour_start_jst as t, predicted_mw as p, lower_mw as lo, upper_mw as hi "
            "from {table} where run_id = %s and model = 'xgboost' order by 1",
            Marts.FORECASTS,
            run_id,
        )
        start = (pd.Timestamp(issue) - pd.Timedelta(days=7)).date()
        end = (pd.Timestamp(issue) + pd.Timedelta(days=17)).date()
        actual = q(
            "select hour_start_jst as t, demand_mw as a, tepco_forecast_mw as tf from {table} "
            "where area = %s and date_jst >= %s and date_jst < %s order by 1",
            Marts.DEMAND_HOURLY,
            a,
            start,
            end,
        )
    views["forecast"] = {
        "run_id": run_id,
        "issue_date": issue.isoformat() if issue else None,
        "forecast": _records(forecast),
        "actual": _records(actual),
    }
    views["accuracy"] = _records(
        q(
            "select model, horizon_day, mape_pct, n_runs, n_hours, n_hours_with_tepco_at_issue, "
            "mape_pct_on_tepco_at_issue_hours, interval_coverage, mean_interval_width_pct from {table} where area = %s and run_kind = 'daily' "
            "and run_window = 'all_runs' order by model, horizon_day",
            Marts.ACCURACY_BY_HORIZON,
            a,
        )
    )
    views["heatmap"] = _records(
        q(
            "select horizon_day, target_hour_jst, mape_pct from {table} where area = %s and run_kind = 'daily' "
            "and model = 'xgboost' order by 1, 2",
            Marts.ERROR_HOUR_BY_HORIZON,
            a,
        )
    )
    views["status"] = _records(
        q(
            "select stage, stage_order, latest_status, latest_started_at, latest_duration_s, latest_error_message, "
            "n_runs from {table} order by stage_order",
            Marts.SYSTEM_STATUS,
        )
    )
    views["runs"] = _records(
        q(
            "select run_id, stage, stage_order, status, duration_s, run_started_at from {table} "
            "order by run_started_at desc, stage_order limit 400",
            Marts.PIPELINE_RUNS,
        )
    )
    views["quality"] = _records(
        q(
            "select check_date, check_name, observed_value, warn_threshold, error_threshold, status from {table} "
            "where check_date = (select max(check_date) from {table}) order by check_name",
            Marts.DATA_QUALITY_CHECKS,
        )
    )
    views["anomalies"] = _records(
        q(
            "select hour_start_at, actual_mw, expected_mw, robust_z, severity from {table} where area = %s "
            "order by hour_start_at desc limit 20",
            Marts.DEMAND_ANOMALIES,
            a,
        )
    )
    td = q(
        "select date_jst as d, mean_temperature_c as temp_c, mean_demand_mw as mean_mw, peak_demand_mw as peak_mw "
        "from {table} where area = %s and mean_temperature_c is not null and n_hours = 24 "
        "order by date_jst desc limit 365",
        Marts.DEMAND_DAILY,
        a,
    )
    views["temperature"] = _records(td)
    return DashboardData(area, datetime.now(UTC).isoformat(timespec="seconds"), views)


def render(data: DashboardData) -> str:
    """The page: inline CSS, inline data, inline JavaScript; nothing is fetched."""
    payload = json.dumps(
        {"area": data.area, "generated_at": data.generated_at, **data.views}, ensure_ascii=False, separators=(",", ":")
    )
    payload = payload.replace("</", "<\\/")  # no `</script>` can end the data block early
    return (
        _TEMPLATE.replace("__TITLE__", html.escape(f"Electricity demand forecast — {data.area}"))
        .replace("__DATA__", payload)
        .replace("__SCRIPT__", _SCRIPT)
    )


def _data_block(page: str) -> dict[str, Any]:
    """The JSON a rendered page carries (for tests and tools)."""
    start = page.index('<script id="data" type="application/json">') + len('<script id="data" type="application/json">')
    return json.loads(page[start : page.index("</script>", start)].replace("<\\/", "</"))


def write(settings: Settings, out: Path | None = None, area: str = "tokyo") -> Path:
    out = out or settings.data_dir / "dashboard" / "index.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    text = render(load(settings, area))
    tmp = out.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)  # a browser never sees half a page
    return out


_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>__TITLE__</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{padding:14px 24px;background:#1d2330;color:#fff}header h1{font-size:18px;margin:0}
header .meta{opacity:.75;font-size:12px}
.kpis{display:flex;gap:12px;padding:12px 24px;flex-wrap:wrap}
.kpi{background:#fff;border-radius:6px;padding:10px 14px;min-width:150px;box-shadow:0 1px 2px #0002}
.kpi b{display:block;font-size:20px}
section{background:#fff;margin:12px 24px;padding:12px 16px;border-radius:6px;box-shadow:0 1px 2px #0002}
section h2{font-size:15px;margin:0 0 4px}section p.note{margin:0 0 8px;color:#5b6475;font-size:12px}
svg.chart{width:100%;height:auto;display:block}
.axis text{font-size:11px;fill:#5b6475}.axis line,.axis path{stroke:#c9ced8}
.legend{font-size:12px;margin:4px 0}.legend span{margin-right:14px}
.sw{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-2px;margin-right:4px}
table{border-collapse:collapse;font-size:12px;width:100%}td,th{padding:3px 6px;border-bottom:1px solid #eceef2;text-align:left}
.s-success,.s-pass{color:#137333;font-weight:600}.s-warning,.s-warn{color:#b06000;font-weight:600}
.s-failed,.s-error{color:#c5221f;font-weight:600}.s-never_run{color:#80868b}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:16px}@media(max-width:900px){.grid2{grid-template-columns:1fr}}
.empty{color:#80868b;font-style:italic}
</style></head>
<body data-status="loading">
<header><h1>__TITLE__</h1><div class="meta" id="meta"></div></header>
<div class="kpis" id="kpis"></div>
<section><h2>1 · Forecast: actual, latest forecast with 90 % interval, TEPCO's forecast</h2>
<p class="note" id="fc-note"></p><div class="legend" id="fc-legend"></div>
<svg class="chart" id="chart-forecast" viewBox="0 0 1000 320"></svg></section>
<section><div class="grid2">
<div><h2>2 · Accuracy by horizon day (MAPE %, daily runs)</h2><p class="note">Lower is better.
Seasonal naive = the same weekday a week before. <b>TEPCO at issue</b> = TEPCO's forecast as it stood at
04:00 JST when ours was issued (day 1, the hours it still forecast): <b>the peer</b>. Averaged = ours and
TEPCO at issue averaged on those hours: known at 04:00 too, but not a head-to-head. TEPCO final = its last
intraday revision, about an hour ahead (day 1): a ceiling, not a peer.</p><p class="note" id="acc-peer"></p>
<div class="legend" id="acc-legend"></div><svg class="chart" id="chart-accuracy" viewBox="0 0 500 300"></svg></div>
<div><h2>3 · Error by hour of day × horizon day (MAPE %)</h2><p class="note">Rows: horizon day 1–16;
columns: target hour (JST, hour start). Darker = larger error.</p>
<svg class="chart" id="chart-heatmap" viewBox="0 0 500 300"></svg></div></div></section>
<section><h2>4 · Pipeline status and data quality</h2><div class="grid2">
<div><table id="status-table"></table><h2 style="margin-top:12px">Recent runs: duration by stage (s)</h2>
<div class="legend" id="runs-legend"></div><svg class="chart" id="chart-runs" viewBox="0 0 500 220"></svg></div>
<div><table id="quality-table"></table><h2 style="margin-top:12px">Latest demand anomalies</h2>
<table id="anomaly-table"></table></div></div></section>
<section><h2>5 · Temperature against demand (daily means, last 365 days)</h2>
<p class="note">The U shape is heating on the left, cooling on the right.</p>
<svg class="chart" id="chart-temperature" viewBox="0 0 1000 340"></svg></section>
<script id="data" type="application/json">__DATA__</script>
<script>__SCRIPT__</script>
</body></html>
"""

_SCRIPT = r"""
"use strict";
const D = JSON.parse(document.getElementById("data").textContent);
const NS = "http://www.w3.org/2000/svg";
const C = {actual:"#1d2330", model:"#1a73e8", band:"#1a73e833", tepco:"#e8710a", peer:"#188038", blend:"#9334e6", naive:"#9aa0a6"};
function el(tag, attrs, parent, text) {
  const e = document.createElementNS(NS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
function fmt(x, d) { return x === null || x === undefined ? "–" : Number(x).toLocaleString("en", {maximumFractionDigits: d ?? 0}); }
function empty(svg, msg) { el("text", {x: 20, y: 30, class: "empty"}, svg, msg); svg.dataset.drawn = "0"; }
function scale(d0, d1, r0, r1) { const k = (r1 - r0) / ((d1 - d0) || 1); return v => r0 + (v - d0) * k; }
function extent(vals) { const v = vals.filter(x => x !== null && isFinite(x)); return [Math.min(...v), Math.max(...v)]; }
function ticks(lo, hi, n) { const s = Math.pow(10, Math.floor(Math.log10((hi - lo) / n || 1))); const step = [1,2,5,10].map(m => m * s).find(m => (hi - lo) / m <= n) || s * 10;
  const out = []; for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) out.push(v); return out; }
function axes(svg, x, y, xt, yt, box, yfmt) {
  const g = el("g", {class: "axis"}, svg);
  yt.forEach(v => { el("line", {x1: box.l, x2: box.r, y1: y(v), y2: y(v)}, g); el("text", {x: box.l - 4, y: y(v) + 4, "text-anchor": "end"}, g, yfmt ? yfmt(v) : fmt(v)); });
  xt.forEach(([v, label]) => el("text", {x: x(v), y: box.b + 14, "text-anchor": "middle"}, g, label));
}
function legend(id, items) { document.getElementById(id).innerHTML = items.map(([c, t]) => `<span><i class="sw" style="background:${c}"></i>${t}</span>`).join(""); }
function path(pts) { let d = "", pen = false; for (const [x, y] of pts) { if (y === null || !isFinite(y)) { pen = false; continue; } d += (pen ? "L" : "M") + x.toFixed(1) + "," + y.toFixed(1); pen = true; } return d; }
const T = s => new Date(s.length === 19 ? s + "Z" : s).getTime();  // JST wall-clock text, read as if UTC

function drawForecast() {
  const svg = document.getElementById("chart-forecast"), v = D.forecast;
  if (!v.forecast.length) return empty(svg, "No daily forecast in the warehouse yet.");
  // how honest the band has been: its coverage over the daily runs scored so far (rpt_forecast_accuracy_by_horizon)
  const cover = (a, b) => { const rs = D.accuracy.filter(r => r.model === "xgboost" && r.horizon_day >= a && r.horizon_day <= b && r.interval_coverage !== null);
    const n = rs.reduce((s, r) => s + r.n_hours, 0);
    return n ? [rs.reduce((s, r) => s + r.interval_coverage * r.n_hours, 0) / n, rs.reduce((s, r) => s + r.mean_interval_width_pct * r.n_hours, 0) / n] : null; };
  const groups = [["day 1", 1, 1], ["days 2–7", 2, 7], ["days 8–16", 8, 16]].map(([g, a, b]) => [g, cover(a, b)]).filter(([, c]) => c);
  document.getElementById("fc-note").textContent = `Run ${v.run_id}, issued ${v.issue_date} 04:00 JST; hours are JST hour starts. ` +
    `TEPCO's forecast is its intraday forecast, published for past and current days only. ` +
    (groups.length ? "The 90 % interval held the actual on " + groups.map(([g, c]) => `${fmt(c[0] * 100, 0)} % of hours on ${g} (mean width ${fmt(c[1], 1)} %)`).join(", ") + " of the daily runs scored so far."
      : "The 90 % interval is not yet scored on any daily run.");
  legend("fc-legend", [[C.actual, "actual"], [C.model, "forecast (ours)"], [C.band, "90 % interval"], [C.tepco, "TEPCO forecast"]]);
  const box = {l: 60, r: 990, t: 10, b: 290};
  const all = v.forecast.map(r => T(r.t)).concat(v.actual.map(r => T(r.t)));
  const x = scale(Math.min(...all), Math.max(...all), box.l, box.r);
  const [lo, hi] = extent(v.forecast.flatMap(r => [r.lo, r.hi, r.p]).concat(v.actual.flatMap(r => [r.a, r.tf])));
  const y = scale(lo * 0.97, hi * 1.02, box.b, box.t);
  const days = []; for (let t = Math.ceil(Math.min(...all) / 864e5) * 864e5; t <= Math.max(...all); t += 2 * 864e5) days.push([t, new Date(t).toISOString().slice(5, 10)]);
  axes(svg, x, y, days, ticks(lo * 0.97, hi * 1.02, 6), box, v => (v / 1000).toFixed(0) + " GW");
  const band = v.forecast.filter(r => r.lo !== null && r.hi !== null);
  let marks = 0;
  if (band.length) { el("path", {d: path(band.map(r => [x(T(r.t)), y(r.hi)])) + path(band.slice().reverse().map(r => [x(T(r.t)), y(r.lo)])).replace("M", "L") + "Z", fill: C.band, stroke: "none"}, svg); marks += band.length; }
  el("path", {d: path(v.actual.map(r => [x(T(r.t)), r.tf === null ? null : y(r.tf)])), fill: "none", stroke: C.tepco, "stroke-width": 1.2, "stroke-dasharray": "4 2"}, svg);
  el("path", {d: path(v.actual.map(r => [x(T(r.t)), r.a === null ? null : y(r.a)])), fill: "none", stroke: C.actual, "stroke-width": 1.5}, svg);
  el("path", {d: path(v.forecast.map(r => [x(T(r.t)), y(r.p)])), fill: "none", stroke: C.model, "stroke-width": 1.5}, svg);
  const issueX = x(T(v.issue_date + "T04:00:00"));
  el("line", {x1: issueX, x2: issueX, y1: box.t, y2: box.b, stroke: "#c5221f", "stroke-dasharray": "3 3"}, svg);
  el("text", {x: issueX + 4, y: box.t + 12, fill: "#c5221f", "font-size": 11}, svg, "issued");
  svg.dataset.drawn = String(marks + v.forecast.length + v.actual.filter(r => r.a !== null).length);
}

function drawAccuracy() {
  const svg = document.getElementById("chart-accuracy"), rows = D.accuracy;
  if (!rows.length) return empty(svg, "No scored forecast yet (actuals arrive the day after).");
  const models = [["xgboost", C.model, "ours (boosted-tree ensemble)"], ["seasonal_naive", C.naive, "seasonal naive"], ["tepco_at_issue", C.peer, "TEPCO at issue (peer)"], ["blend_with_tepco", C.blend, "ours + TEPCO at issue, averaged"], ["tepco", C.tepco, "TEPCO final (ceiling)"]].filter(m => rows.some(r => r.model === m[0]));
  const day1 = m => rows.find(r => r.model === m && r.horizon_day === 1);
  const ours = day1("xgboost"), peer = day1("tepco_at_issue"), blend = day1("blend_with_tepco");
  document.getElementById("acc-peer").textContent = ours && peer && ours.n_hours_with_tepco_at_issue
    ? `Day 1 head-to-head on the same ${ours.n_hours_with_tepco_at_issue} hours: ours ${fmt(ours.mape_pct_on_tepco_at_issue_hours, 2)} % vs TEPCO at issue ${fmt(peer.mape_pct, 2)} % MAPE.`
      + (blend ? ` The two averaged (it takes TEPCO's forecast as an input): ${fmt(blend.mape_pct, 2)} %.` : "")
    : "No day-1 head-to-head with TEPCO at issue yet (it needs a capture of TEPCO's live file at or before 04:00 JST).";
  legend("acc-legend", models.map(m => [m[1], m[2]]));
  const box = {l: 40, r: 490, t: 10, b: 270}, bw = (box.r - box.l) / 16;
  const hi = Math.max(...rows.map(r => r.mape_pct || 0)) * 1.1 || 1;
  const y = scale(0, hi, box.b, box.t), x = d => box.l + (d - 0.5) * bw;
  axes(svg, x, y, Array.from({length: 16}, (_, i) => [i + 1, String(i + 1)]), ticks(0, hi, 5), box);
  let marks = 0;
  models.forEach(([m, c], k) => rows.filter(r => r.model === m && r.mape_pct !== null).forEach(r => {
    const w = bw / (models.length + 0.5);
    const r_ = el("rect", {x: box.l + (r.horizon_day - 1) * bw + 0.25 * w + k * w, y: y(r.mape_pct), width: w, height: box.b - y(r.mape_pct), fill: c}, svg);
    el("title", {}, r_, `${m} day ${r.horizon_day}: ${fmt(r.mape_pct, 2)} % over ${r.n_runs} runs`); marks++;
  }));
  svg.dataset.drawn = String(marks);
}

function drawHeatmap() {
  const svg = document.getElementById("chart-heatmap"), rows = D.heatmap;
  if (!rows.length) return empty(svg, "No scored forecast yet.");
  const box = {l: 40, r: 490, t: 4, b: 270}, cw = (box.r - box.l) / 24, ch = (box.b - box.t) / 16;
  const hi = Math.max(...rows.map(r => r.mape_pct || 0)) || 1;
  let marks = 0;
  rows.forEach(r => { if (r.mape_pct === null) return; const a = Math.min(1, r.mape_pct / hi);
    const c = el("rect", {x: box.l + r.target_hour_jst * cw, y: box.t + (r.horizon_day - 1) * ch, width: cw - 1, height: ch - 1,
      fill: `rgb(${Math.round(255 - 60 * a)},${Math.round(245 - 190 * a)},${Math.round(235 - 200 * a)})`}, svg);
    el("title", {}, c, `day ${r.horizon_day}, ${r.target_hour_jst}:00 JST: ${fmt(r.mape_pct, 2)} %`); marks++; });
  const g = el("g", {class: "axis"}, svg);
  for (let h = 0; h < 24; h += 3) el("text", {x: box.l + (h + 0.5) * cw, y: box.b + 14, "text-anchor": "middle"}, g, h + "h");
  for (let d = 1; d <= 16; d += 3) el("text", {x: box.l - 4, y: box.t + (d - 0.5) * ch + 4, "text-anchor": "end"}, g, "d" + d);
  el("text", {x: box.r, y: box.b + 28, "text-anchor": "end"}, g, `darkest = ${fmt(hi, 1)} %`);
  svg.dataset.drawn = String(marks);
}

function table(id, head, rows) {
  const t = document.getElementById(id);
  t.innerHTML = "<tr>" + head.map(h => `<th>${h}</th>`).join("") + "</tr>" + (rows.length ? rows.map(r => "<tr>" + r.map(c => `<td${c && c.cls ? ` class="${c.cls}"` : ""}>${c && c.v !== undefined ? c.v : (c ?? "–")}</td>`).join("") + "</tr>").join("") : `<tr><td colspan="${head.length}" class="empty">none</td></tr>`);
  return rows.length;
}
const esc = s => String(s ?? "").replace(/[&<>"]/g, ch => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[ch]));

function drawPipeline() {
  table("status-table", ["stage", "latest", "started (UTC)", "s", "runs", "error"], D.status.map(r => [esc(r.stage), {v: esc(r.latest_status), cls: "s-" + r.latest_status},
    esc((r.latest_started_at || "").slice(0, 16).replace("T", " ")), fmt(r.latest_duration_s, 1), r.n_runs, esc((r.latest_error_message || "").slice(0, 80))]));
  table("quality-table", ["check (" + esc(D.quality.length ? String(D.quality[0].check_date).slice(0, 10) : "–") + ")", "observed", "warn >", "error >", "status"],
    D.quality.map(r => [esc(r.check_name), fmt(r.observed_value, 2), fmt(r.warn_threshold, 2), fmt(r.error_threshold, 2), {v: esc(r.status), cls: "s-" + r.status}]));
  table("anomaly-table", ["hour (UTC)", "actual MW", "expected MW", "robust z", "severity"], D.anomalies.map(r => [esc(r.hour_start_at.slice(0, 16).replace("T", " ")),
    fmt(r.actual_mw), fmt(r.expected_mw), fmt(r.robust_z, 1), {v: esc(r.severity), cls: "s-" + r.severity}]));
  const svg = document.getElementById("chart-runs");
  const ids = [...new Set(D.runs.map(r => r.run_id))].slice(0, 30).reverse();
  if (!ids.length) return empty(svg, "No run recorded yet.");
  const stages = [...new Set(D.runs.slice().sort((a, b) => a.stage_order - b.stage_order).map(r => r.stage))];
  const pal = ["#9aa0a6", "#1a73e8", "#12b5cb", "#34a853", "#fbbc04", "#e8710a", "#a142f4", "#5f6368"];
  legend("runs-legend", stages.map((s, i) => [pal[i % pal.length], s]));
  const tot = ids.map(id => D.runs.filter(r => r.run_id === id).reduce((s, r) => s + (r.duration_s || 0), 0));
  const box = {l: 40, r: 490, t: 8, b: 200}, bw = (box.r - box.l) / ids.length;
  const y = scale(0, Math.max(...tot) * 1.1 || 1, box.b, box.t);
  axes(svg, v => v, y, [], ticks(0, Math.max(...tot) * 1.1 || 1, 4), box);
  let marks = 0;
  ids.forEach((id, i) => { let acc = 0; stages.forEach((s, k) => { const r = D.runs.find(q => q.run_id === id && q.stage === s); if (!r || !r.duration_s) return;
    const b = el("rect", {x: box.l + i * bw + 1, y: y(acc + r.duration_s), width: Math.max(1, bw - 2), height: y(acc) - y(acc + r.duration_s), fill: r.status === "failed" ? "#c5221f" : pal[k % pal.length]}, svg);
    el("title", {}, b, `${id} ${s}: ${fmt(r.duration_s, 1)} s (${r.status})`); acc += r.duration_s; marks++; }); });
  svg.dataset.drawn = String(marks);
}

function drawTemperature() {
  const svg = document.getElementById("chart-temperature"), rows = D.temperature.filter(r => r.temp_c !== null && r.mean_mw !== null);
  if (!rows.length) return empty(svg, "No day with both observed temperature and demand.");
  const box = {l: 60, r: 990, t: 10, b: 310};
  const [t0, t1] = extent(rows.map(r => r.temp_c)), [m0, m1] = extent(rows.map(r => r.mean_mw));
  const x = scale(t0 - 1, t1 + 1, box.l, box.r), y = scale(m0 * 0.95, m1 * 1.03, box.b, box.t);
  axes(svg, x, y, ticks(t0 - 1, t1 + 1, 12).map(v => [v, v + " °C"]), ticks(m0 * 0.95, m1 * 1.03, 6), box, v => (v / 1000).toFixed(0) + " GW");
  rows.forEach(r => { const wd = new Date(String(r.d).slice(0, 10) + "T00:00:00Z").getUTCDay(); const c = el("circle", {cx: x(r.temp_c), cy: y(r.mean_mw), r: 3.2, fill: wd === 0 || wd === 6 ? C.tepco : C.model, "fill-opacity": 0.7}, svg);
    el("title", {}, c, `${r.d}: ${fmt(r.temp_c, 1)} °C, mean ${fmt(r.mean_mw)} MW, peak ${fmt(r.peak_mw)} MW`); });
  el("text", {x: box.r, y: box.t + 12, "text-anchor": "end", "font-size": 12, fill: "#5b6475"}, svg, "blue = weekday, orange = weekend");
  svg.dataset.drawn = String(rows.length);
}

function kpis() {
  const last = D.forecast.actual.filter(r => r.a !== null).slice(-1)[0];
  const acc1 = D.accuracy.find(r => r.model === "xgboost" && r.horizon_day === 1);
  const failed = D.status.filter(r => r.latest_status === "failed").length, warned = D.status.filter(r => r.latest_status === "warning").length;
  const q = D.quality.filter(r => r.status !== "pass").length;
  const items = [["Pipeline", failed ? `${failed} stage(s) failed` : warned ? `${warned} warning(s)` : "all stages OK"],
    ["Latest demand", last ? `${fmt(last.a)} MW` : "–", last ? last.t.replace("T", " ").slice(0, 16) + " JST" : ""],
    ["Day-1 MAPE", acc1 ? `${fmt(acc1.mape_pct, 2)} %` : "–", acc1 ? `${acc1.n_runs} daily runs` : ""],
    ["Quality checks", `${D.quality.length - q}/${D.quality.length} pass`]];
  document.getElementById("kpis").innerHTML = items.map(([k, v, s]) => `<div class="kpi">${k}<b>${esc(v)}</b><small>${esc(s || "")}</small></div>`).join("");
  document.getElementById("meta").textContent = `area ${D.area} · generated ${D.generated_at} · data from the warehouse marts`;
}

const errors = [];
for (const f of [kpis, drawForecast, drawAccuracy, drawHeatmap, drawPipeline, drawTemperature]) {
  try { f(); } catch (e) { errors.push(f.name + ": " + e.message); console.error(e); }
}
document.body.dataset.status = errors.length ? "error: " + errors.join("; ") : "ok";
"""
