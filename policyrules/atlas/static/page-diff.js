/* The diff view: two (policy, date) sides -> the exact diff of their rule sets, as `policyrules diff`. */
(function () {
  "use strict";
  var PA = window.PolicyAtlas, UI = window.AtlasUI, W = PA.world, el = UI.el;
  var pa = document.getElementById("f-pa"), pb = document.getElementById("f-pb");
  var da = document.getElementById("f-da"), db = document.getElementById("f-db");
  var head = document.getElementById("diff-head"), tbody = document.querySelector("#diff-table tbody");
  Object.keys(W.policies).filter(function (p) { return W.policies[p].judges; }).forEach(function (p) {
    pa.appendChild(el("option", { value: p, text: p }));
    pb.appendChild(el("option", { value: p, text: p }));
  });
  var ra = document.getElementById("f-ra"), rb = document.getElementById("f-rb");
  var readings = Object.keys(PA.variants).filter(function (v) { return Object.keys(PA.variants[v].readings).length; });
  [ra, rb].forEach(function (select) {
    select.appendChild(el("option", { value: "default", text: "this atlas's reading" }));
    readings.forEach(function (v) {
      var r = PA.variants[v].readings, point = Object.keys(r)[0];
      select.appendChild(el("option", { value: v, text: point + " = " + r[point] }));
    });
  });
  var params = new URLSearchParams(window.location.search);
  var firstPolicy = W.policies.us ? "us" : pa.options[0].value;
  pa.value = params.get("a") || firstPolicy;
  pb.value = params.get("b") || pa.value;
  da.value = params.get("da") || "2024-05-29";
  db.value = params.get("db") || "2024-05-30";

  function side(decision, rule) {
    return el("td", { cls: "cell " + decision }, el("span", { cls: "cell-mark", "aria-hidden": "true", text: UI.GLYPH[decision] }),
      " " + decision + " by ", UI.ruleLink(rule));
  }

  function show() {
    UI.clear(tbody);
    var va = ra.value || "default", vb = rb.value || "default";
    var a = PA.tableKeyAt(va, pa.value, da.value || null), b = PA.tableKeyAt(vb, pb.value, db.value || null);
    var refA = pa.value + (da.value ? "@" + da.value : ""), refB = pb.value + (db.value ? "@" + db.value : "");
    var under = function (v) {
      var r = v === "default" ? {} : PA.variants[v].readings;
      return Object.keys(r).map(function (k) { return k + "=" + r[k]; });
    };
    if (a.error || b.error) { head.textContent = "No diff: " + (a.error || b.error) + "."; head.classList.add("error"); return; }
    head.classList.remove("error");
    var name = function (k) { return k.split("+")[0]; };
    var ref = function (given, key) { return given === name(key) ? given : given + " (" + name(key) + ")"; };
    var d = PA.diffBetween(va, a.key, vb, b.key);
    var option = function (v, p) { var r = v === "default" ? {} : PA.variants[v].readings; return r[p.id] || p.chosen; };
    var differ = PA.points.filter(function (p) { return option(va, p) !== option(vb, p); });
    var sideName = function (given, key, v) {  // as `policyrules diff` names a side: the options that differ, in brackets
      return ref(given, key) + (differ.length ? " [" + differ.map(function (p) { return p.id + "=" + option(v, p); }).join(", ") + "]" : "");
    };
    var title = sideName(refA, a.key, va) + " -> " + sideName(refB, b.key, vb) + ": ";
    if (d === null) {
      var flags = under(va).map(function (x) { return " --before-reading " + x; }).join("") +
        under(vb).map(function (x) { return " --after-reading " + x; }).join("");
      head.textContent = title + "this pair was not exported (the atlas exports two dates under its own reading with " +
        "--diffs overlapping, and its reading against each other option on one date); run: policyrules diff " + refA + " " + refB + flags;
      return;
    }
    if (d.same && d.classes === null) { head.textContent = title + "the same rule set: no change."; return; }
    head.textContent = title + (d.entries.length ? d.changed + " of " + d.classes + " classes change" : "no change (over " + d.classes + " classes)");
    d.entries.forEach(function (e) {
      tbody.appendChild(el("tr", {}, el("td", { text: e.description }), side(e.before.decision, e.before.rule),
        side(e.after.decision, e.after.rule), el("td", { text: String(e.classes) }),
        el("td", {}, el("code", { cls: "strike", text: JSON.stringify(e.example) }))));
    });
  }
  ra.value = params.get("ra") || "default";
  rb.value = params.get("rb") || "default";
  [pa, pb, da, db, ra, rb].forEach(function (n) { n.addEventListener("change", show); });
  document.getElementById("diff-controls").addEventListener("submit", function (e) { e.preventDefault(); show(); });
  show();
  window.AtlasDiff = { show: show };
})();
