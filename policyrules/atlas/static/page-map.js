/* The map: every region coloured by the decision for the chosen strike on the chosen date. */
(function () {
  "use strict";
  var PA = window.PolicyAtlas, UI = window.AtlasUI, W = PA.world, el = UI.el;
  var form = document.getElementById("map-controls");
  var slider = document.getElementById("f-day"), dateInput = document.getElementById("f-date");
  var out = document.getElementById("day-out"), status = document.getElementById("map-status");
  var details = document.getElementById("region-details");
  var tbody = document.querySelector("#map-table tbody");
  var tiles = Array.prototype.slice.call(document.querySelectorAll("#tile-map .tile"));
  var results = {}, alternatives = {};
  var selected = null;

  var DAY = 86400000;
  var toDay = function (iso) { return Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / DAY; };
  var toIso = function (n) { return new Date(n * DAY).toISOString().slice(0, 10); };
  var days = UI.dateRange();
  var first = toDay(days[0]), last = toDay(days[days.length - 1]) + 365;
  slider.min = "0";
  slider.max = String(last - first);
  slider.setAttribute("list", "change-days");
  var marks = document.getElementById("change-days");
  days.forEach(function (d) { marks.appendChild(el("option", { value: String(toDay(d) - first), label: d })); });
  dateInput.min = toIso(first);
  dateInput.max = toIso(last);

  var has = function (name, value) {
    var s = form.querySelector("[name=" + name + "]");
    return s && Array.prototype.some.call(s.options, function (o) { return o.value === value; });
  };
  var defaults = {};
  if (W.named_suppliers.indexOf("US") >= 0) { defaults.supplier = "US"; }
  UI.setupControls(form, {});
  if (has("weapon_class", "rocket_artillery")) { defaults.weapon_class = "rocket_artillery"; }
  if (has("target", "cat:military")) { defaults.target = "cat:military"; }
  defaults.self_defense = "true";
  if (has("defended_region", "kharkiv")) { defaults.defended_region = "kharkiv"; }
  UI.setupControls(form, defaults);
  var start = days.indexOf("2024-06-01") >= 0 || (toDay("2024-06-01") >= first && toDay("2024-06-01") <= last) ? "2024-06-01" : days[days.length - 1];
  setDay(toDay(start) - first);

  function setDay(n) {
    n = Math.max(0, Math.min(+slider.max, n));
    slider.value = String(n);
    var iso = toIso(first + n);
    dateInput.value = iso;
    out.textContent = iso;
    slider.setAttribute("aria-valuetext", iso);
    update();
  }

  function known() {
    var k = UI.readKnown(form);
    k.date = dateInput.value;
    return k;
  }

  function update() {
    var base = known();
    var counts = { allowed: 0, prohibited: 0, depends: 0, none: 0, contested: 0 };
    UI.clear(tbody);
    tiles.forEach(function (g) {
      var id = g.getAttribute("data-region");
      var q = Object.assign({}, base, { target_region: id });
      var r = PA.partial(q);
      results[id] = r;
      var alts = alternatives[id] = PA.contestedPartial(q, r);
      var a = UI.cellAnswer(r);
      counts[a.cls] += 1;
      if (alts.length) { counts.contested += 1; }
      g.setAttribute("class", g.getAttribute("class").replace(/ (allowed|prohibited|depends|none|contested)\b/g, "") + " " + a.cls +
        (alts.length ? " contested" : ""));
      g.querySelector(".tile-mark").textContent = UI.GLYPH[a.cls] + (alts.length ? "◆" : "");
      var region = PA.regionById[id];
      g.setAttribute("aria-label", region.name + " (" + region.country + "): " + a.text +
        (alts.length ? "; contested: " + UI.alternativesText(alts) : ""));
      var row = el("tr", {}, el("th", { scope: "row", text: region.name }), el("td", { text: region.country }));
      row.appendChild(el("td", { cls: "cell " + a.cls }, el("span", { cls: "cell-mark", "aria-hidden": "true", text: UI.GLYPH[a.cls] }),
        " " + (a.cls === "depends" ? "depends: " + r.decisions.join(" or ") : a.cls === "none" ? "no answer" : a.cls)));
      var rules = el("td");
      if (r.error) { rules.appendChild(el("span", { cls: "muted", text: r.error })); }
      (r.rules || []).forEach(function (rid, i) { if (i) { rules.appendChild(document.createTextNode(" / ")); } rules.appendChild(UI.ruleLink(rid)); });
      row.appendChild(rules);
      row.appendChild(el("td", { text: (r.policies || []).map(policyRef).join(", ") }));
      if (PA.points.length) { row.appendChild(el("td", { text: alts.length ? "◆ " + UI.alternativesText(alts) : "–" })); }
      tbody.appendChild(row);
    });
    status.textContent = base.date + ": " + counts.allowed + " regions allowed, " + counts.prohibited + " prohibited, " +
      counts.depends + " depend on an open field" + (counts.none ? ", " + counts.none + " without an answer" : "") +
      (counts.contested ? "; another reading of a contested point changes " + counts.contested + " (◆)" : "") + ".";
    if (selected) { show(selected); }
  }

  function show(id) {
    selected = id;
    tiles.forEach(function (g) { g.classList.toggle("selected", g.getAttribute("data-region") === id); });
    var r = results[id], region = PA.regionById[id];
    UI.clear(details);
    details.appendChild(el("h3", { text: region.name + " (" + region.country + (region.occupied ? ", occupied" : "") + ")" }));
    var alts = UI.alternatives(alternatives[id] || []);
    if (r.error) { details.appendChild(el("p", {}, UI.badge(null), " " + r.error)); if (alts) { details.appendChild(alts); } return; }
    if (r.settled) {
      details.appendChild(el("p", { cls: "decision" }, UI.badge(r.settled), " under " + r.policies.map(policyRef).join(", ")));
      if (alts) { details.appendChild(alts); }
      r.rules.forEach(function (rid) { details.appendChild(UI.ruleDetails(rid, policyRef(r.policies[0]))); });
      return;
    }
    if (alts) { details.appendChild(alts); }
    details.appendChild(el("p", { cls: "decision" }, UI.badge("depends"), " " + r.decisions.join(" or ") + ", depending on " + r.missing.map(UI.fieldLabel).join(", ")));
    var seen = {};
    r.possibilities.forEach(function (ps) {
      details.appendChild(el("div", { cls: "possibility " + ps.decision }, UI.badge(ps.decision), " by ", UI.ruleLink(ps.rule),
        " (" + ps.policy + ") if " + UI.constraintWords(ps.constraints)));
    });
    r.possibilities.forEach(function (ps) {
      if (seen[ps.rule]) { return; }
      seen[ps.rule] = true;
      details.appendChild(UI.ruleDetails(ps.rule, ps.policy));
    });
  }

  function policyRef(tableKey) { return tableKey ? tableKey.split("+")[0] : ""; }

  form.addEventListener("change", function (e) {
    if (e.target === dateInput) {
      if (dateInput.value) { setDay(toDay(dateInput.value) - first); }
      return;
    }
    if (e.target !== slider) { update(); }
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); update(); });
  form.querySelector("input[name=range_km]").addEventListener("input", update);
  slider.addEventListener("input", function () { setDay(+slider.value); });
  slider.addEventListener("keydown", function (e) {
    if (e.key === "PageUp" || e.key === "PageDown") {
      e.preventDefault();
      setDay(+slider.value + (e.key === "PageUp" ? 30 : -30));
    }
  });
  tiles.forEach(function (g) {
    var id = g.getAttribute("data-region");
    g.addEventListener("click", function () { show(id); });
    g.addEventListener("mouseenter", function () { show(id); });
    g.addEventListener("focus", function () { show(id); });
    g.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); show(id); }
    });
  });
  window.AtlasMap = { setDay: function (iso) { setDay(toDay(iso) - first); }, results: results, alternatives: alternatives, update: update };
})();
