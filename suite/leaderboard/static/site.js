// Leaderboard behaviour: sort and filter the index, lazily load samples, draw the compare chart.
// Text from bundles only ever reaches the page through textContent.
"use strict";

(function () {
  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // -- index: sort and filter ------------------------------------------------------------------
  const table = document.getElementById("leaderboard");
  if (table) {
    const body = table.tBodies[0];
    table.querySelectorAll("thead button").forEach(function (button, column) {
      button.addEventListener("click", function () {
        const numeric = button.dataset.sort === "num";
        const state = button.getAttribute("aria-sort");
        // First click: the column's natural order (rank and name ascending, scores descending); then it flips.
        const descending = state ? state !== "descending" : button.dataset.first !== "ascending";
        table.querySelectorAll("thead button").forEach(function (b) { b.removeAttribute("aria-sort"); });
        button.setAttribute("aria-sort", descending ? "descending" : "ascending");
        const rows = Array.from(body.rows);
        rows.sort(function (x, y) {
          const a = x.cells[column].dataset.value, b = y.cells[column].dataset.value;
          if (a === "" || b === "") return (a === "") - (b === "");  // empty cells last
          const order = numeric ? Number(a) - Number(b) : a.localeCompare(b);
          return descending ? -order : order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
    const name = document.getElementById("filter-name");
    const grading = document.getElementById("filter-grading");
    const release = document.getElementById("filter-release");
    const paper = document.getElementById("filter-paper");
    function filter() {
      const text = name.value.trim().toLowerCase();
      Array.from(body.rows).forEach(function (row) {
        const show = (!text || row.dataset.name.indexOf(text) >= 0) &&
          (!grading.value || row.dataset.grading === grading.value) &&
          (!release.value || row.dataset.release === release.value || row.dataset.reported === "yes") &&
          (paper.checked || row.dataset.reported !== "yes");
        row.hidden = !show;
      });
    }
    [name, grading, release, paper].forEach(function (control) {
      control.addEventListener("input", filter);
      control.addEventListener("change", filter);
    });
  }

  // -- model page: the sample browser ------------------------------------------------------------
  const list = document.getElementById("samples");
  if (list) {
    const group = document.getElementById("group");
    const outcome = document.getElementById("outcome");
    const more = document.getElementById("more");
    const loaded = {};
    let current = null, queue = [], questions = null, waiting = [];
    // The release's questions file calls this once with [{q: id, p: problem, g: gold answer}, ...].
    window.suiteQuestions = function (rows) {
      questions = new Map();
      rows.forEach(function (row) { questions.set(row.q, row); });
      waiting.splice(0).forEach(function (next) { next(); });
    };
    function withQuestions(next) {
      if (questions !== null || !list.dataset.questions) { next(); return; }
      waiting.push(next);
      if (waiting.length > 1) return;
      const script = document.createElement("script");
      script.src = list.dataset.questions;
      script.onerror = function () { questions = new Map(); waiting.splice(0).forEach(function (n) { n(); }); };
      document.body.appendChild(script);
    }
    // A chunk file calls this with a group, an outcome ("c" correct, "w" wrong), its number and its samples.
    window.suiteChunk = function (index, outcome, chunk, samples) {
      const key = index + "-" + outcome + chunk;
      loaded[key] = samples;
      if (current === key) show(samples, outcome === "c");
    };
    function part(cls, label, text, empty) {
      const block = el("div", "part " + cls + "-part");
      block.appendChild(el("p", "part-label", label));
      block.appendChild(text ? el("pre", cls, text) : el("p", "empty " + cls, empty));
      return block;
    }
    function show(samples, correct) {
      samples.forEach(function (s) {
        const item = el("li", "sample " + (correct ? "correct" : "wrong"));
        const head = el("p", "head");
        head.appendChild(el("strong", "", s.q + " #" + s.k));
        head.appendChild(el("span", "grade", correct ? "correct" : "wrong"));
        const answer = el("span", "answer", "graded answer: ");
        answer.appendChild(el("span", "graded-answer", s.a === null ? "(none)" : s.a));
        head.appendChild(answer);
        item.appendChild(head);
        const question = questions && questions.get(s.q);
        const asked = el("div", "question-part");
        if (question) {
          asked.appendChild(part("question", "Question", question.p, ""));
          const gold = el("p", "gold-line", "Gold answer: ");
          gold.appendChild(el("span", "gold", question.g));
          asked.appendChild(gold);
        } else {
          asked.appendChild(el("p", "empty question", "Question " + s.q + " is not in the release given to this build."));
        }
        item.appendChild(asked);
        if (s.o || s.t || s.s) {
          const prompt = el("div", "prompt");
          prompt.appendChild(part("own", "Own prefix (the model's own reasoning)", s.o, "(empty: the steer starts the reasoning)"));
          prompt.appendChild(part("transition", "Transition", s.t, "(none)"));
          prompt.appendChild(part("steer", "Steer", s.s, "(none)"));
          item.appendChild(prompt);
          item.appendChild(part("completion", "Continuation", s.c, "(empty)"));
        } else {
          item.appendChild(part("completion", "Completion (no steer)", s.c, "(empty)"));
        }
        list.appendChild(item);
      });
    }
    function load() {
      const next = queue.shift();
      more.hidden = queue.length === 0;
      if (next === undefined) return;
      current = next;
      if (remote.ready) { fetchChunk(next); return; }
      if (loaded[next]) { show(loaded[next], next.split("-")[1][0] === "c"); return; }
      const script = document.createElement("script");
      script.src = list.dataset.base + "g" + next + ".js";
      document.body.appendChild(script);
    }
    document.getElementById("load").addEventListener("click", function () {
      list.replaceChildren();
      const option = group.options[group.selectedIndex];
      const index = Number(group.value);
      queue = [];
      ["c", "w"].forEach(function (outcomeKey) {
        if (outcome.value && outcome.value[0] !== outcomeKey) return;
        for (let k = 0; k < Number(option.dataset[outcomeKey]); k++) queue.push(index + "-" + outcomeKey + k);
      });
      if (queue.length === 0) list.appendChild(el("li", "empty", "No samples with this outcome."));
      withQuestions(load);
    });
    more.addEventListener("click", load);
    // Full samples hosted elsewhere (a dataset repository, pinned by commit): JSON chunks fetched from
    // data-remote, cross-origin. The site's own files keep a small sample of each test.
    const remote = {url: list.dataset.remote || "", ready: false};
    function fetchJson(url) {
      return fetch(url, {credentials: "omit"}).then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      });
    }
    function fetchChunk(key) {
      const outcomeKey = key.split("-")[1][0];
      if (loaded["r" + key]) { show(loaded["r" + key], outcomeKey === "c"); return; }
      fetchJson(remote.url + "g" + key + ".json").then(function (samples) {
        if (!Array.isArray(samples)) throw new Error("not a list of samples");
        loaded["r" + key] = samples;
        if (current === key) show(samples, outcomeKey === "c");
      }).catch(function (e) {
        list.appendChild(el("li", "empty", "Samples " + key + " could not be loaded (" + e.message + ")."));
      });
    }
    if (/^https?:\/\//.test(remote.url)) {
      const note = el("p", "samples-source", "Loading the full samples from " + remote.url + " ...");
      list.parentNode.insertBefore(note, list);
      fetchJson(remote.url + "index.json").then(function (index) {
        const groups = index && Array.isArray(index.groups) ? index.groups : null;
        if (!groups) throw new Error("no groups in index.json");
        group.replaceChildren();
        groups.forEach(function (g, i) {
          const option = el("option", "", String(g.label) + " (" + Number(g.count) + ")");
          option.value = String(i);
          option.dataset.c = String(Number(g.c) || 0);
          option.dataset.w = String(Number(g.w) || 0);
          group.appendChild(option);
        });
        list.replaceChildren();
        queue = [];
        more.hidden = true;
        remote.ready = true;
        note.textContent = "All samples of this run, from " + remote.url;
      }).catch(function (e) {
        note.textContent = "The full samples could not be loaded from " + remote.url + " (" + e.message +
          "); showing the site's own sample of each test.";
      });
    }
  }

  // -- compare view -----------------------------------------------------------------------------
  const chart = document.getElementById("compare-chart");
  if (chart && window.suiteCompare) {
    const data = window.suiteCompare;
    const scores = document.getElementById("compare-scores");
    const a = document.getElementById("compare-a"), b = document.getElementById("compare-b");
    const subset = document.getElementById("compare-subset");
    const paper = document.getElementById("compare-paper");
    const NS = "http://www.w3.org/2000/svg";
    const STYLES = [{colour: "#1f4e9c", dash: "0", shape: "circle"}, {colour: "#b5452a", dash: "6 4", shape: "square"}];
    const box = {left: 60, right: 620, top: 20, bottom: 260};
    function svg(tag, attrs, text) {
      const node = document.createElementNS(NS, tag);
      Object.keys(attrs).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
      if (text !== undefined) node.textContent = text;
      return node;
    }
    function y(v) { return box.bottom - v * (box.bottom - box.top); }
    function pick(select) {
      const v = select.value;
      if (!v) return null;
      const list = v[0] === "p" ? data.paper : data.runs;
      const entry = list[Number(v.slice(1))];
      return entry ? {entry: entry, reported: v[0] === "p"} : null;
    }
    function axes(target, xTitle, ticks) {
      const g = svg("g", {"class": "axes"});
      g.appendChild(svg("line", {x1: box.left, y1: box.bottom, x2: box.right, y2: box.bottom, stroke: "black"}));
      g.appendChild(svg("line", {x1: box.left, y1: box.top, x2: box.left, y2: box.bottom, stroke: "black"}));
      [0, 0.25, 0.5, 0.75, 1].forEach(function (v) {
        g.appendChild(svg("line", {x1: box.left - 4, y1: y(v), x2: box.right, y2: y(v), stroke: v ? "#ddd" : "black"}));
        g.appendChild(svg("text", {x: box.left - 8, y: y(v) + 4, "font-size": 11, "text-anchor": "end"}, (100 * v) + "%"));
      });
      ticks.forEach(function (t) {
        g.appendChild(svg("text", {x: t[0], y: box.bottom + 16, "font-size": 11, "text-anchor": "middle"}, t[1]));
      });
      g.appendChild(svg("text", {"class": "axis-title x-title", x: (box.left + box.right) / 2, y: box.bottom + 40,
        "font-size": 12, "text-anchor": "middle"}, xTitle));
      g.appendChild(svg("text", {"class": "axis-title y-title", x: -(box.top + box.bottom) / 2, y: 16,
        transform: "rotate(-90)", "font-size": 12, "text-anchor": "middle"}, "% correct (95% interval)"));
      target.appendChild(g);
    }
    function point(g, style, px, p, label) {
      if (p[2] !== null && p[2] !== undefined && p[3] !== null && p[3] !== undefined) {
        const bar = svg("g", {"class": "error-bar"});
        bar.appendChild(svg("line", {x1: px, y1: y(p[2]), x2: px, y2: y(p[3]), stroke: style.colour}));
        bar.appendChild(svg("line", {x1: px - 4, y1: y(p[2]), x2: px + 4, y2: y(p[2]), stroke: style.colour}));
        bar.appendChild(svg("line", {x1: px - 4, y1: y(p[3]), x2: px + 4, y2: y(p[3]), stroke: style.colour}));
        g.appendChild(bar);
      }
      const dot = style.shape === "square" ?
        svg("rect", {x: px - 4, y: y(p[1]) - 4, width: 8, height: 8, fill: style.colour}) :
        svg("circle", {cx: px, cy: y(p[1]), r: 4, fill: style.colour});
      const interval = p[2] !== null && p[2] !== undefined ?
        " [" + (100 * p[2]).toFixed(1) + ", " + (100 * p[3]).toFixed(1) + "]" : " (no interval reported)";
      dot.appendChild(svg("title", {}, label + ": " + (100 * p[1]).toFixed(1) + "%" + interval));
      g.appendChild(dot);
    }
    function curves(picks) {
      chart.querySelectorAll("g").forEach(function (g) { g.remove(); });
      const xs = [0, 0.2, 0.4, 0.6, 0.8];
      function x(p) { return box.left + 20 + p / 0.8 * (box.right - box.left - 40); }
      axes(chart, "insertion position of the distractor (% of the model's own reasoning)",
        xs.map(function (p) { return [x(p), (100 * p) + "%"]; }));
      const notes = [];
      picks.forEach(function (picked, i) {
        if (!picked) return;
        const style = STYLES[i], run = picked.entry;
        if (picked.reported) { notes.push(run.model + ": reported in the paper, no per-position figures in Table 1"); return; }
        const points = run[subset.value].filter(function (p) { return p[1] !== null; });
        const g = svg("g", {"class": "series", "data-series": i});
        g.appendChild(svg("polyline", {fill: "none", stroke: style.colour, "stroke-dasharray": style.dash, "stroke-width": 2,
          points: points.map(function (p) { return x(p[0]) + "," + y(p[1]); }).join(" ")}));
        points.forEach(function (p) { point(g, style, x(p[0]), p, run.model + " at " + (100 * p[0]) + "%"); });
        chart.appendChild(g);
      });
      return notes;
    }
    function headline(picks) {
      scores.querySelectorAll("g").forEach(function (g) { g.remove(); });
      const step = (box.right - box.left) / data.measures.length;
      function x(k, i) { return box.left + step * (k + 0.5) + (i ? 8 : -8); }
      axes(scores, "measure", data.measures.map(function (m, k) { return [box.left + step * (k + 0.5), m]; }));
      picks.forEach(function (picked, i) {
        if (!picked) return;
        const g = svg("g", {"class": "series", "data-series": i});
        picked.entry.scores.forEach(function (s, k) {
          if (s[0] === null) return;
          point(g, STYLES[i], x(k, i), [k, s[0], s[1], s[2]], picked.entry.model + ", " + data.measures[k]);
        });
        scores.appendChild(g);
      });
    }
    function paperOptions() {
      [a, b].forEach(function (select) {
        select.querySelectorAll("optgroup.reported").forEach(function (group) { group.remove(); });
        if (!paper.checked) { if (!select.value) select.selectedIndex = 0; return; }
        const group = document.createElement("optgroup");
        group.className = "reported";
        group.label = "reported in the paper (Table 1)";
        data.paper.forEach(function (row, k) {
          const option = el("option", "", row.model + " (reported in the paper)");
          option.value = "p" + k;
          group.appendChild(option);
        });
        select.appendChild(group);
      });
    }
    function draw() {
      const picks = [pick(a), pick(b)];
      const notes = curves(picks);
      headline(picks);
      function names(lines) {
        return picks.map(function (p, i) {
          if (!p) return "";
          return (i ? "Squares" : "Circles") + (lines ? (i ? ", dashed" : ", solid") : "") + ": " + p.entry.model +
            (p.reported ? " (reported in the paper, no intervals)" : "");
        }).filter(Boolean).join(". ") + ".";
      }
      document.getElementById("compare-caption").textContent = names(true) + (notes.length ? " " + notes.join(". ") + "." : "");
      document.getElementById("scores-caption").textContent = names(false) + " Bars: 95% bootstrap intervals over items.";
    }
    paper.addEventListener("change", function () { paperOptions(); draw(); });
    [a, b, subset].forEach(function (c) { c.addEventListener("change", draw); });
    paperOptions();
    draw();
  }
})();
