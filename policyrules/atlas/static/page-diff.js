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
    var a = PA.tableKeyAt("default", pa.value, da.value || null), b = PA.tableKeyAt("default", pb.value, db.value || null);
    var refA = pa.value + (da.value ? "@" + da.value : ""), refB = pb.value + (db.value ? "@" + db.value : "");
    if (a.error || b.error) { head.textContent = "No diff: " + (a.error || b.error) + "."; head.classList.add("error"); return; }
    head.classList.remove("error");
    var name = function (k) { return k.split("+")[0]; };
    var ref = function (given, key) { return given === name(key) ? given : given + " (" + name(key) + ")"; };
    var d = PA.diff(a.key, b.key);
    var title = ref(refA, a.key) + " -> " + ref(refB, b.key) + ": ";
    if (d === null) {
      head.textContent = title + "this pair of versions was not exported (build the atlas with --diffs overlapping); run: policyrules diff " + refA + " " + refB;
      return;
    }
    if (d.same) { head.textContent = title + "the same rule set: no change."; return; }
    head.textContent = title + (d.entries.length ? d.changed + " of " + d.classes + " classes change" : "no change (over " + d.classes + " classes)");
    d.entries.forEach(function (e) {
      tbody.appendChild(el("tr", {}, el("td", { text: e.description }), side(e.before.decision, e.before.rule),
        side(e.after.decision, e.after.rule), el("td", { text: String(e.classes) }),
        el("td", {}, el("code", { cls: "strike", text: JSON.stringify(e.example) }))));
    });
  }
  [pa, pb, da, db].forEach(function (n) { n.addEventListener("change", show); });
  document.getElementById("diff-controls").addEventListener("submit", function (e) { e.preventDefault(); show(); });
  show();
  window.AtlasDiff = { show: show };
})();
