/* Matrices: one version (weapon class x region) and one date across every supplier's policy. */
(function () {
  "use strict";
  var PA = window.PolicyAtlas, UI = window.AtlasUI, W = PA.world, el = UI.el;
  var vform = document.getElementById("version-controls"), cform = document.getElementById("coalition-controls");
  var tableSelect = document.getElementById("f-table");
  var tables = PA.variants["default"].tables;
  var keys = Object.keys(tables).filter(function (k) { return tables[k].policy !== "common"; });
  keys.forEach(function (k) {
    var t = tables[k];
    var when = t.windows.map(function (w) { return w[0] + " .. " + (w[1] || "open"); }).join(", ");
    tableSelect.appendChild(el("option", { value: k, text: t.policy + "@" + t.version + " (" + when + ")" }));
  });
  var pick = function (form, name, value) {
    var s = form.querySelector("[name=" + name + "]");
    if (s && Array.prototype.some.call(s.options, function (o) { return o.value === value; })) { s.value = value; }
  };
  UI.setupControls(vform);
  UI.setupControls(cform);
  [vform, cform].forEach(function (f) {
    pick(f, "target", "cat:military"); pick(f, "self_defense", "true"); pick(f, "defended_region", "kharkiv");
  });
  pick(cform, "weapon_class", "rocket_artillery");
  var preferred = keys.filter(function (k) { return k.indexOf("us@2024-05-30") === 0; })[0];
  if (preferred) { tableSelect.value = preferred; }
  document.getElementById("f-cdate").value = "2024-06-01";

  /* A cell: the decision and rule(s); ◆ when another reading of a contested point changes it. Pointing
   * at, tapping or focusing it (its rule link) shows the rule and the alternatives below the matrix. */
  var cellInfo = new WeakMap();

  function matrixCell(known, label) {
    var r = PA.partial(known);
    var td = UI.cell(r);
    var alts = PA.contestedPartial(known, r);
    if (alts.length) {
      td.classList.add("contested");
      td.appendChild(el("span", { cls: "alt-mark", "aria-hidden": "true", text: " ◆" }));
      td.appendChild(el("span", { cls: "sr-only", text: " contested: " + UI.alternativesText(alts) }));
      td.setAttribute("title", "contested: " + UI.alternativesText(alts));
    }
    cellInfo.set(td, { result: r, alts: alts, label: label });
    return td;
  }

  function showCell(box, td) {
    var info = cellInfo.get(td);
    if (!info) { return; }
    var r = info.result;
    UI.clear(box);
    box.appendChild(el("h3", { text: info.label }));
    if (r.error) { box.appendChild(el("p", {}, UI.badge(null), " " + r.error)); } else {
      var policy = r.policies[0].split("+")[0];
      box.appendChild(el("p", { cls: "decision" }, UI.badge(r.settled || "depends"),
        " " + (r.settled ? "" : r.decisions.join(" or ") + ", depending on " + r.missing.map(UI.fieldLabel).join(", ")) + " (" + policy + ")"));
    }
    var alts = UI.alternatives(info.alts);
    if (alts) { box.appendChild(alts); }
    if (!r.error) { r.rules.forEach(function (rid) { box.appendChild(UI.ruleDetails(rid, r.policies[0].split("+")[0])); }); }
  }

  [["version-matrix", "vm-details"], ["coalition-matrix", "cm-details"]].forEach(function (ids) {
    var table = document.getElementById(ids[0]), box = document.getElementById(ids[1]);
    var pick = function (e) {
      var td = e.target.closest ? e.target.closest("td") : null;
      if (td && cellInfo.has(td)) { showCell(box, td); }
    };
    table.addEventListener("mouseover", pick);
    table.addEventListener("click", pick);
    table.addEventListener("focusin", pick);
  });

  function header(table, corner, cols) {
    var tr = el("tr", {}, el("th", { scope: "col", text: corner }));
    cols.forEach(function (c) { tr.appendChild(el("th", { scope: "col", text: c })); });
    table.appendChild(el("thead", {}, tr));
  }

  function versionMatrix() {
    var table = UI.clear(document.getElementById("version-matrix"));
    var t = tables[tableSelect.value];
    var known = UI.readKnown(vform);
    known.date = t.windows[0][0];
    var policy = t.policy;
    var codes = W.policies[policy].codes;
    if (codes.length) { known.supplier = codes[0]; } else if (policy === W.default_policy) { known.supplier = W.other_code; }
    table.appendChild(el("caption", { text: t.policy + "@" + t.version + " on " + known.date + ": weapon class × region, " +
      UI.constraintWords(describe(known)) }));
    header(table, "region \\ weapon class", W.weapon_classes.map(function (c) { return c.replace(/_/g, " "); }));
    var body = el("tbody");
    W.regions.forEach(function (r) {
      var tr = el("tr", {}, el("th", { scope: "row", text: r.name + " (" + r.country + ")" }));
      W.weapon_classes.forEach(function (c) {
        tr.appendChild(matrixCell(Object.assign({}, known, { weapon_class: c, target_region: r.id }),
          r.name + " (" + r.country + "), " + c.replace(/_/g, " ") + ", " + t.policy + "@" + t.version + " on " + known.date));
      });
      body.appendChild(tr);
    });
    table.appendChild(body);
    document.getElementById("vm-status").textContent = "Showing " + t.policy + "@" + t.version + " (in force from " + known.date + ").";
  }

  function describe(known) {
    var out = {};
    ["target_type", "target_category", "self_defense", "defended_region", "range_km"].forEach(function (f) {
      if (f in known) { out[f] = f === "range_km" ? ["= " + known[f]] : [known[f]]; }
    });
    return out;
  }

  function coalitionMatrix() {
    var table = UI.clear(document.getElementById("coalition-matrix"));
    var known = UI.readKnown(cform);
    var pids = Object.keys(W.policies).filter(function (p) { return W.policies[p].judges; });
    var date = known.date || null;
    table.appendChild(el("caption", { text: "On " + (date || "the latest date") + ": " + UI.constraintWords(Object.assign(describe(known),
      known.weapon_class ? { weapon_class: [known.weapon_class] } : {})) + ", under each policy" }));
    header(table, "region \\ policy", pids.map(function (p) {
      var codes = W.policies[p].codes;
      return p + (codes.length ? " (" + codes.join(", ") + ")" : p === W.default_policy ? " (other suppliers)" : "");
    }));
    var body = el("tbody");
    W.regions.forEach(function (r) {
      var tr = el("tr", {}, el("th", { scope: "row", text: r.name + " (" + r.country + ")" }));
      pids.forEach(function (p) {
        var codes = W.policies[p].codes;
        var supplier = codes.length ? codes[0] : W.other_code;
        tr.appendChild(matrixCell(Object.assign({}, known, { supplier: supplier, target_region: r.id }),
          r.name + " (" + r.country + "), policy " + p + " on " + (date || "the latest date")));
      });
      body.appendChild(tr);
    });
    table.appendChild(body);
    document.getElementById("cm-status").textContent = "Showing every supplier's policy on " + (date || "the latest date") + ".";
  }

  vform.addEventListener("change", versionMatrix);
  vform.addEventListener("input", function (e) { if (e.target.type === "number") { versionMatrix(); } });
  vform.addEventListener("submit", function (e) { e.preventDefault(); versionMatrix(); });
  cform.addEventListener("change", coalitionMatrix);
  cform.addEventListener("input", function (e) { if (e.target.type === "number") { coalitionMatrix(); } });
  cform.addEventListener("submit", function (e) { e.preventDefault(); coalitionMatrix(); });
  versionMatrix();
  coalitionMatrix();
})();
