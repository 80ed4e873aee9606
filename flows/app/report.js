(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var NS = "http://www.w3.org/2000/svg";
  var COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
                "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    for (var k in attrs) { node.setAttribute(k, attrs[k]); }
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function text(parent, x, y, value, attrs) {
    var t = el("text", Object.assign({x: x, y: y}, attrs || {}), parent);
    t.textContent = value;
    return t;
  }
  function tip(node, value) { el("title", {}, node).textContent = value; }
  function svg(id, width, height) {
    var box = document.getElementById(id);
    var root = el("svg", {viewBox: "0 0 " + width + " " + height, role: "img",
                          "data-chart": id}, box);
    return root;
  }
  function empty(id, message) {
    var root = svg(id, 900, 60);
    root.setAttribute("data-empty", "true");
    text(root, 10, 35, message, {"class": "empty"});
  }
  function pct(v) { return v === null ? "n/a" : (100 * v).toFixed(1) + " %"; }
  function legend(id, names) {
    var div = document.createElement("div");
    div.className = "legend";
    names.forEach(function (name, i) {
      var span = document.createElement("span");
      var swatch = document.createElement("i");
      swatch.style.background = COLORS[i % COLORS.length];
      span.appendChild(swatch);
      span.appendChild(document.createTextNode(name));
      div.appendChild(span);
    });
    document.getElementById(id).appendChild(div);
  }

  function daily() {
    if (!data.daily.length) { return empty("chart-daily", "No articles yet."); }
    var days = [], sources = [], totals = {};
    data.daily.forEach(function (d) {
      if (days.indexOf(d.day) < 0) { days.push(d.day); }
      if (sources.indexOf(d.source) < 0) { sources.push(d.source); }
      totals[d.day] = (totals[d.day] || 0) + d.articles;
    });
    sources.sort();
    var max = Math.max.apply(null, days.map(function (d) { return totals[d]; }));
    var W = 900, H = 260, L = 40, B = 40, T = 10;
    var step = (W - L - 10) / days.length, bar = Math.max(2, step * 0.8);
    var root = svg("chart-daily", W, H);
    el("line", {x1: L, y1: H - B, x2: W - 10, y2: H - B, stroke: "#999"}, root);
    text(root, L - 6, T + 10, String(max), {"text-anchor": "end"});
    text(root, L - 6, H - B, "0", {"text-anchor": "end"});
    var base = {};
    data.daily.forEach(function (d) {
      var i = days.indexOf(d.day), h = (H - B - T) * d.articles / max;
      var y0 = base[d.day] || 0;
      var rect = el("rect", {x: L + i * step, y: H - B - y0 - h, width: bar, height: h,
                             fill: COLORS[sources.indexOf(d.source) % COLORS.length],
                             "class": "point", "data-day": d.day, "data-source": d.source,
                             "data-value": d.articles}, root);
      tip(rect, d.day + " " + d.source + ": " + d.articles + " articles");
      base[d.day] = y0 + h;
    });
    var every = Math.ceil(days.length / 10);
    days.forEach(function (day, i) {
      if (i % every === 0) { text(root, L + i * step, H - B + 16, day); }
    });
    legend("chart-daily", sources);
  }

  function stories() {
    if (!data.stories.length) { return empty("chart-stories", "No stories yet."); }
    var W = 900, row = 22, L = 420, H = data.stories.length * row + 10;
    var max = Math.max.apply(null, data.stories.map(function (s) { return s.sources; }));
    var root = svg("chart-stories", W, H);
    data.stories.forEach(function (s, i) {
      var y = 5 + i * row, w = (W - L - 60) * s.sources / max;
      var label = s.title.length > 62 ? s.title.slice(0, 60) + "…" : s.title;
      text(root, L - 8, y + 14, label, {"text-anchor": "end"});
      var rect = el("rect", {x: L, y: y + 3, width: Math.max(w, 2), height: row - 8,
                             fill: COLORS[0], "class": "point", "data-value": s.sources,
                             "data-story": s.story_id}, root);
      tip(rect, s.title + "\n" + s.sources + " sources, " + s.articles + " articles: "
          + s.names.join(", "));
      text(root, L + w + 6, y + 14, s.sources + " / " + s.articles);
    });
  }

  function health() {
    if (!data.health.length) { return empty("chart-health", "No source has run yet."); }
    var W = 900, row = 34, L = 160, H = data.health.length * row + 30;
    var root = svg("chart-health", W, H);
    text(root, L, 14, "error rate");
    text(root, L + 360, 14, "not-modified rate");
    data.health.forEach(function (s, i) {
      var y = 24 + i * row;
      text(root, L - 8, y + 16, s.source, {"text-anchor": "end"});
      [["error_rate", 0, "#e15759"], ["not_modified_rate", 360, "#76b7b2"]].forEach(function (m) {
        var v = s[m[0]], x = L + m[1];
        el("rect", {x: x, y: y + 4, width: 300, height: 16, fill: "#f1f1f1"}, root);
        var rect = el("rect", {x: x, y: y + 4, width: v === null ? 0 : 300 * v, height: 16,
                               fill: m[2], "class": "point", "data-source": s.source,
                               "data-metric": m[0], "data-value": v === null ? "" : v}, root);
        tip(rect, s.source + " " + m[0].replace(/_/g, " ") + ": " + pct(v)
            + " of " + s.fetches + " fetches");
        text(root, x + 306, y + 16, pct(v));
      });
    });
    var table = document.createElement("table");
    table.innerHTML = "<tr><th>source</th><th>kind</th><th>last run</th><th>last success</th>"
      + "<th>failures in a row</th><th>articles</th><th></th></tr>";
    data.health.forEach(function (s) {
      var tr = document.createElement("tr");
      var problem = s.error ? "failing since " + s.failing_since + " UTC: " + s.error
        : (s.quiet ? "went quiet" : "");
      [s.source, s.kind, s.status || "", s.last_success || "never", s.failures, s.articles,
       problem].forEach(function (v, i) {
        var td = document.createElement("td");
        td.textContent = String(v);
        if ((i === 4 && v > 0) || (i === 6 && v)) { td.className = "bad"; }
        tr.appendChild(td);
      });
      table.appendChild(tr);
    });
    document.getElementById("chart-health").appendChild(table);
  }

  function runs() {
    if (!data.runs.length) { return empty("chart-runs", "No run yet."); }
    var parts = [["new", COLORS[0]], ["updated", COLORS[1]], ["duplicates", COLORS[2]],
                 ["rejected", COLORS[9]], ["errors", COLORS[3]]];
    var W = 900, H = 220, L = 40, B = 40, T = 10;
    var total = function (r) { return parts.reduce(function (a, p) { return a + r[p[0]]; }, 0); };
    var max = Math.max(1, Math.max.apply(null, data.runs.map(total)));
    var step = (W - L - 10) / data.runs.length, bar = Math.max(3, Math.min(40, step * 0.7));
    var root = svg("chart-runs", W, H);
    el("line", {x1: L, y1: H - B, x2: W - 10, y2: H - B, stroke: "#999"}, root);
    text(root, L - 6, T + 10, String(max), {"text-anchor": "end"});
    data.runs.forEach(function (r, i) {
      var x = L + i * step, y = H - B;
      parts.forEach(function (p) {
        var h = (H - B - T) * r[p[0]] / max;
        if (h <= 0) { return; }
        y -= h;
        var rect = el("rect", {x: x, y: y, width: bar, height: h, fill: p[1], "class": "point",
                               "data-run": r.run_id, "data-part": p[0], "data-value": r[p[0]]},
                      root);
        tip(rect, r.started + " " + r.status + ": " + r[p[0]] + " " + p[0]);
      });
      var mark = el("circle", {cx: x + bar / 2, cy: H - B + 10, r: 4, "class": "run-status",
                               fill: r.status === "completed" ? "#59a14f" : "#e15759",
                               "data-status": r.status}, root);
      tip(mark, r.started + " UTC: " + r.status
          + (r.seconds === null ? "" : ", " + r.seconds.toFixed(1) + " s"));
    });
    text(root, L, H - 6, data.runs[0].started + " UTC");
    text(root, W - 10, H - 6, data.runs[data.runs.length - 1].started + " UTC",
         {"text-anchor": "end"});
    legend("chart-runs", parts.map(function (p) { return p[0]; }));
    document.querySelectorAll("#chart-runs .legend i").forEach(function (swatch, i) {
      swatch.style.background = parts[i][1];
    });
  }

  [daily, stories, health, runs].forEach(function (draw) {
    try { draw(); } catch (err) {
      document.body.setAttribute("data-error", String(err));
      throw err;
    }
  });
  document.body.setAttribute("data-rendered", "true");
})();
