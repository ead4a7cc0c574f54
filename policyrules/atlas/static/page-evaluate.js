/* The evaluator: a strike (fields may be open) -> the decision, rule and source, or the conditions. */
(function () {
  "use strict";
  var PA = window.PolicyAtlas, UI = window.AtlasUI, el = UI.el;
  var form = document.getElementById("strike-form"), body = document.getElementById("answer-body");
  UI.setupControls(form);
  var weapon = form.querySelector("[name=weapon]"), wclass = form.querySelector("[name=weapon_class]");
  var supplier = form.querySelector("[name=supplier]");

  function syncWeapon() {  // a weapon fixes its class; its supplier is one of its suppliers
    var w = PA.weaponById[weapon.value];
    wclass.disabled = !!w;
    if (w) { wclass.value = w["class"]; }
    Array.prototype.forEach.call(supplier.options, function (o) { o.disabled = !!(w && o.value && w.suppliers.indexOf(o.value) < 0); });
    if (w && supplier.value && w.suppliers.indexOf(supplier.value) < 0) { supplier.value = ""; }
  }

  function answer() {
    var known = UI.readKnown(form);
    var r = PA.partial(known);
    UI.clear(body);
    if (r.error) {
      body.appendChild(el("p", { cls: "error", text: "Cannot answer: " + r.error }));
      var other = UI.alternatives(PA.contestedPartial(known, r));
      if (other && other.querySelector("li")) { body.appendChild(other); }
      return r;
    }
    var when = known.date ? "on " + known.date : "under the latest versions";
    if (r.settled) {
      body.appendChild(el("p", { cls: "decision" }, UI.badge(r.settled), " " + when + " (" + r.policies.map(function (k) { return k.split("+")[0]; }).join(", ") + ")"));
      if (r.outcome) {
        var o = r.outcome;
        if (o.overridden.length) { body.appendChild(el("p", { text: "Overridden: " + o.overridden.join(", ") })); }
        if (o.conflict.length) { body.appendChild(el("p", { cls: "error", text: "Conflict (prohibited as a fail-safe): " + o.conflict.join(", ") })); }
      } else if (r.rules.length > 1) {
        body.appendChild(el("p", { cls: "muted", text: "Settled by the known fields; which rule decides depends on the open ones." }));
      }
      r.rules.forEach(function (rid) { body.appendChild(UI.ruleDetails(rid, r.policies[0].split("+")[0])); });
    } else {
      body.appendChild(el("p", { cls: "decision" }, UI.badge("depends"), " " + r.decisions.join(" or ") + " " + when +
        ", depending on " + r.missing.map(UI.fieldLabel).join(", ")));
      var list = el("ul", { cls: "possibilities" });
      r.possibilities.forEach(function (ps) {
        list.appendChild(el("li", { cls: "possibility " + ps.decision }, UI.badge(ps.decision), " by ", UI.ruleLink(ps.rule),
          " (" + ps.policy + ", " + ps.classes + " class" + (ps.classes === 1 ? "" : "es") + ") if " + UI.constraintWords(ps.constraints)));
      });
      body.appendChild(list);
      var seen = {};
      r.possibilities.forEach(function (ps) {
        if (!seen[ps.rule]) { seen[ps.rule] = true; body.appendChild(UI.ruleDetails(ps.rule, ps.policy)); }
      });
    }
    var alts = UI.alternatives(PA.contestedPartial(known, r));
    if (alts) { body.appendChild(el("h3", { text: "Under other readings of the contested points" })); body.appendChild(alts); }
    var variants = Object.keys(PA.variants).filter(function (v) { return v !== "default" && !Object.keys(PA.variants[v].readings).length; });
    if (variants.length) {
      var alt = el("ul", { cls: "alternatives" });
      variants.forEach(function (v) {
        var a = PA.partial(known, v);
        alt.appendChild(el("li", {}, el("strong", { text: v + ": " }), UI.badge(a.settled || (a.error ? null : "depends")),
          " " + (a.error || a.rules.join(" or "))));
      });
      body.appendChild(el("h3", { text: "Under the other variants (readings or assumptions) exported" }));
      body.appendChild(alt);
    }
    return r;
  }
  weapon.addEventListener("change", syncWeapon);
  form.addEventListener("submit", function (e) { e.preventDefault(); answer(); });
  form.addEventListener("reset", function () { setTimeout(function () { syncWeapon(); UI.clear(body); }, 0); });
  syncWeapon();
  window.AtlasEvaluate = { answer: answer };
})();
