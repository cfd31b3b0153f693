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
        const descending = button.getAttribute("aria-sort") !== "descending";
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
    let current = null, queue = [];
    // A chunk file calls this with a group, an outcome ("c" correct, "w" wrong), its number and its samples.
    window.suiteChunk = function (index, outcome, chunk, samples) {
      const key = index + "-" + outcome + chunk;
      loaded[key] = samples;
      if (current === key) show(samples, outcome === "c");
    };
    function show(samples, correct) {
      samples.forEach(function (s) {
        const item = el("li", "sample " + (correct ? "correct" : "wrong"));
        const head = el("p", "head");
        head.appendChild(el("strong", "", s.q + " #" + s.k));
        head.appendChild(el("span", "grade", correct ? " correct" : " wrong"));
        head.appendChild(el("span", "answer", " answer: " + (s.a === null ? "(none)" : s.a)));
        item.appendChild(head);
        const prompt = el("pre", "prompt");
        prompt.appendChild(el("span", "own", s.o));
        prompt.appendChild(el("span", "transition", s.t));
        prompt.appendChild(el("span", "steer", s.s));
        item.appendChild(prompt);
        item.appendChild(el("pre", "completion", s.c));
        list.appendChild(item);
      });
    }
    function load() {
      const next = queue.shift();
      more.hidden = queue.length === 0;
      if (next === undefined) return;
      current = next;
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
      load();
    });
    more.addEventListener("click", load);
  }

  // -- compare view -----------------------------------------------------------------------------
  const chart = document.getElementById("compare-chart");
  if (chart && window.suiteCompare) {
    const runs = window.suiteCompare;
    const a = document.getElementById("compare-a"), b = document.getElementById("compare-b");
    const subset = document.getElementById("compare-subset");
    const NS = "http://www.w3.org/2000/svg";
    function svg(tag, attrs, text) {
      const node = document.createElementNS(NS, tag);
      Object.keys(attrs).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
      if (text !== undefined) node.textContent = text;
      return node;
    }
    function x(p) { return 50 + p * 440; }
    function y(v) { return 280 - v * 250; }
    function draw() {
      Array.from(chart.querySelectorAll("g")).forEach(function (g) { g.remove(); });
      const axes = svg("g", {});
      axes.appendChild(svg("line", {x1: 50, y1: 280, x2: 490, y2: 280, stroke: "black"}));
      axes.appendChild(svg("line", {x1: 50, y1: 30, x2: 50, y2: 280, stroke: "black"}));
      [0, 0.5, 1].forEach(function (v) { axes.appendChild(svg("text", {x: 10, y: y(v) + 4, "font-size": 11}, (100 * v) + "%")); });
      chart.appendChild(axes);
      const names = [];
      [[a, "#1f4e9c", "0"], [b, "#b5452a", "6 4"]].forEach(function (pick, i) {
        const run = runs[Number(pick[0].value)];
        if (!run) return;
        names.push(run.model);
        const points = run[subset.value].filter(function (p) { return p[1] !== null; });
        const g = svg("g", {"class": "series", "data-series": i});
        g.appendChild(svg("polyline", {fill: "none", stroke: pick[1], "stroke-dasharray": pick[2], "stroke-width": 2,
          points: points.map(function (p) { return x(p[0]) + "," + y(p[1]); }).join(" ")}));
        points.forEach(function (p) {
          const dot = svg(i ? "rect" : "circle", i ? {x: x(p[0]) - 4, y: y(p[1]) - 4, width: 8, height: 8, fill: pick[1]} : {cx: x(p[0]), cy: y(p[1]), r: 4, fill: pick[1]});
          dot.appendChild(svg("title", {}, run.model + ": " + (100 * p[1]).toFixed(1) + "% at " + (100 * p[0]) + "%"));
          g.appendChild(dot);
        });
        chart.appendChild(g);
      });
      document.getElementById("compare-caption").textContent = "Circles, solid: " + (names[0] || "") + ". Squares, dashed: " + (names[1] || "") + ".";
    }
    [a, b, subset].forEach(function (c) { c.addEventListener("change", draw); });
    draw();
  }
})();
