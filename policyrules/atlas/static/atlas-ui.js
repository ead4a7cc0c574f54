/* policy atlas: DOM helpers shared by the pages. Pack text goes into the page only as text
 * (textContent, createTextNode, setAttribute on non-script attributes); links only for http(s). */
(function (global) {
  "use strict";
  var PA = global.PolicyAtlas;
  var W = PA.world;
  var GLYPH = { allowed: "✓", prohibited: "✕", depends: "?", none: "–" };
  var FIELD_LABEL = {
    weapon: "weapon", weapon_class: "weapon class", supplier: "supplier", target_region: "target region",
    target_country: "target country", target_type: "target type", target_category: "target category",
    self_defense: "self-defense", defended_region: "region defended", range_km: "range (km)", depth_km: "depth (km)",
  };
  var ROOT = document.documentElement.getAttribute("data-root") || "";

  function el(tag, props) {
    var node = document.createElement(tag);
    props = props || {};
    Object.keys(props).forEach(function (k) {
      var v = props[k];
      if (v === undefined || v === null) { return; }
      if (k === "text") { node.textContent = String(v); } else if (k === "cls") { node.className = v; } else if (k === "href") {
        var safe = safeHref(v);
        if (safe) { node.setAttribute("href", safe); }
      } else if (/^on/i.test(k) || k === "innerHTML" || k === "srcdoc") {
        throw new Error("refusing to set " + k);
      } else { node.setAttribute(k, String(v)); }
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) { continue; }
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return node;
  }

  /* Relative links of our own pages, or absolute http(s) URLs; nothing else (no javascript:, data:). */
  function safeHref(url) {
    url = String(url);
    if (/^https?:\/\/[^\s]+$/i.test(url)) { return url; }
    if (/^[a-z0-9_./#-]+$/i.test(url) && !/^[a-z][a-z0-9+.-]*:/i.test(url) && url.indexOf("//") !== 0) { return url; }
    return null;
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } return node; }

  function badge(decision) {
    var d = decision || "none";
    return el("span", { cls: "badge " + d }, el("span", { "aria-hidden": "true", text: GLYPH[d] || "?" }), " " + (decision || "no answer"));
  }

  function rulePage(ruleId) {
    var r = W.rules[ruleId];
    return r ? ROOT + r.page : null;
  }

  function ruleLink(ruleId) {
    if (ruleId === "default") { return el("span", { text: "the policy default" }); }
    var href = rulePage(ruleId);
    return href ? el("a", { href: href, text: ruleId }) : el("span", { text: ruleId });
  }

  function sourceBlock(source) {
    if (!source) { return el("p", { cls: "muted", text: "no source" }); }
    var origin = source.url ? el("a", { href: source.url, rel: "noopener noreferrer", text: source.url })
      : el("span", { text: source.document ? "document " + source.document : (source.raw_url || "") });
    return el("div", { cls: "source" },
      el("blockquote", { text: source.quote }),
      el("p", {}, origin),
      el("p", {}, "Grade: ", el("strong", { text: source.grade || "ungraded" }), " — rests on " + source.rests_on));
  }

  function ruleDetails(ruleId, policyRef) {
    var box = el("div", { cls: "rule-details" });
    if (ruleId === "default") {
      box.appendChild(el("p", { text: "No rule matched: the default of " + policyRef + " decides." }));
      return box;
    }
    var r = (W.version_rules[policyRef] || {})[ruleId] || W.rules[ruleId];
    if (!r) { box.appendChild(el("p", { text: ruleId })); return box; }
    box.appendChild(el("p", {}, "Rule ", ruleLink(ruleId), ": " + r.title));
    box.appendChild(sourceBlock(r.source));
    if (r.caveats) { box.appendChild(el("p", {}, el("strong", { text: "Caveat: " }), r.caveats)); }
    if (r.note) { box.appendChild(el("p", { cls: "muted" }, el("strong", { text: "Note: " }), r.note)); }
    var v = W.versions[policyRef];
    if (v && v.note) { box.appendChild(el("p", { cls: "muted" }, el("strong", { text: policyRef + ": " }), v.note)); }
    return box;
  }

  // Values in words -------------------------------------------------------------------------

  function valueWords(field, v) {
    if (field === "weapon") { return v === null ? "no named weapon" : (PA.weaponById[v] ? PA.weaponById[v].name : v); }
    if (field === "supplier") { return v === null ? "no supplier" : v === "*" ? "another supplier" : v; }
    if (field === "target_region" || field === "defended_region") {
      return v === null ? "none" : (PA.regionById[v] ? PA.regionById[v].name : v);
    }
    if (typeof v === "boolean") { return v ? "yes" : "no"; }
    return String(v).replace(/_/g, " ");
  }

  function constraintWords(constraints) {
    var keys = Object.keys(constraints);
    if (!keys.length) { return "whatever the open fields"; }
    return keys.map(function (f) {
      var vals = constraints[f];
      var shown = (f === "range_km" || f === "depth_km") ? vals.join(" or ") : vals.map(function (v) { return valueWords(f, v); }).join(", ");
      return (FIELD_LABEL[f] || f) + ": " + shown;
    }).join("; ");
  }

  // Strike controls -------------------------------------------------------------------------

  function option(value, label) { return el("option", { value: value, text: label }); }

  function fill(select, choices) {
    clear(select);
    choices.forEach(function (c) {
      if (c.group) {
        var g = el("optgroup", { label: c.group });
        c.items.forEach(function (it) { g.appendChild(option(it[0], it[1])); });
        select.appendChild(g);
      } else { select.appendChild(option(c[0], c[1])); }
    });
  }

  var ua = W.regions.filter(function (r) { return r.country === "UA"; });
  var ru = W.regions.filter(function (r) { return r.country === "RU"; });
  var cats = [];
  W.target_types.forEach(function (t) { if (cats.indexOf(t.category) < 0) { cats.push(t.category); } });

  var CHOICES = {
    supplier: function (empty) {
      return [["", empty || "open (from the weapon)"]].concat(W.named_suppliers.map(function (c) { return [c, c]; }));
    },
    weapon: function (empty) {
      return [["", empty || "open"], ["-", "no named weapon"]].concat(W.weapons.map(function (w) {
        return [w.id, w.name + " (" + w["class"].replace(/_/g, " ") + ", " + w.suppliers.join("/") + ")"];
      }));
    },
    weapon_class: function (empty) {
      return [["", empty || "open"]].concat(W.weapon_classes.map(function (c) { return [c, c.replace(/_/g, " ")]; }));
    },
    target_region: function (empty) {
      return [["", empty || "open"],
        { group: "Ukraine", items: ua.map(function (r) { return [r.id, r.name]; }) },
        { group: "Russia", items: ru.map(function (r) { return [r.id, r.name]; }) }];
    },
    target: function (empty) {
      return [["", empty || "open"],
        { group: "category (any type of it)", items: cats.map(function (c) { return ["cat:" + c, c.replace(/_/g, " ")]; }) },
        { group: "type", items: W.target_types.map(function (t) { return ["type:" + t.id, t.id.replace(/_/g, " ") + " (" + t.category.replace(/_/g, " ") + ")"]; }) }];
    },
    self_defense: function (empty) { return [["", empty || "open"], ["true", "yes"], ["false", "no"]]; },
    defended_region: function (empty) {
      return [["", empty || "open"], ["-", "none"]].concat(ua.map(function (r) { return [r.id, r.name]; }));
    },
  };

  function setupControls(form, defaults) {
    defaults = defaults || {};
    Object.keys(CHOICES).forEach(function (name) {
      var select = form.querySelector("select[name=" + name + "]");
      if (select) {
        fill(select, CHOICES[name]());
        if (defaults[name] !== undefined) { select.value = defaults[name]; }
      }
    });
    ["range_km", "depth_km"].forEach(function (name) {
      var input = form.querySelector("input[name=" + name + "]");
      if (input && defaults[name] !== undefined) { input.value = defaults[name]; }
    });
  }

  /* The known fields of a form: what is filled in, as a partial strike (open fields left out). */
  function readKnown(form) {
    var out = {};
    var val = function (name) { var n = form.querySelector("[name=" + name + "]"); return n ? n.value : ""; };
    var w = val("weapon");
    if (w === "-") { out.weapon = null; } else if (w) { out.weapon = w; }
    if (val("weapon_class") && !(w && w !== "-")) { out.weapon_class = val("weapon_class"); }
    if (val("supplier")) { out.supplier = val("supplier"); }
    if (val("target_region")) { out.target_region = val("target_region"); }
    var t = val("target");
    if (t.indexOf("cat:") === 0) { out.target_category = t.slice(4); } else if (t.indexOf("type:") === 0) { out.target_type = t.slice(5); }
    if (val("self_defense")) { out.self_defense = val("self_defense") === "true"; }
    var d = val("defended_region");
    if (d === "-") { out.defended_region = null; } else if (d) { out.defended_region = d; }
    ["range_km", "depth_km"].forEach(function (name) {
      var s = val(name);
      if (s !== "" && s !== undefined) { out[name] = Number(s); }
    });
    var date = val("date");
    if (date) { out.date = date; }
    return out;
  }

  /* One cell's answer for a partial strike: {cls: allowed|prohibited|depends|none, rules, text}. */
  function cellAnswer(result) {
    if (result.error) { return { cls: "none", rules: [], text: "no answer: " + result.error }; }
    if (result.settled) { return { cls: result.settled, rules: result.rules, text: result.settled + " by " + result.rules.join(" or ") }; }
    return { cls: "depends", rules: result.rules, text: result.decisions.join(" or ") + ", depending on " + (result.missing.join(", ") || "the open fields") };
  }

  function cell(result) {
    var a = cellAnswer(result);
    var td = el("td", { cls: "cell " + a.cls });
    td.appendChild(el("span", { cls: "cell-mark", "aria-hidden": "true", text: GLYPH[a.cls] }));
    td.appendChild(el("span", { cls: "sr-only", text: a.cls === "none" ? "no answer" : a.cls }));
    td.appendChild(document.createTextNode(" "));
    if (a.cls === "none") { td.appendChild(el("span", { cls: "muted", text: result.error || "" })); return td; }
    a.rules.forEach(function (rid, i) {
      if (i) { td.appendChild(document.createTextNode(" / ")); }
      td.appendChild(ruleLink(rid));
    });
    return td;
  }

  function dateRange() {
    var days = [];
    Object.keys(W.versions).forEach(function (ref) {
      var v = W.versions[ref];
      days.push(v.from);
      if (v.until) { days.push(v.until); }
    });
    days.sort();
    return days;
  }

  // Contested readings ---------------------------------------------------------------------

  var POINT_BY_ID = {};
  PA.points.forEach(function (p) { POINT_BY_ID[p.id] = p; });

  function pointLink(pointId) {
    var p = POINT_BY_ID[pointId];
    return p ? el("a", { href: ROOT + p.page, text: pointId }) : el("span", { text: pointId });
  }

  /* One answer under another option (a partial() result): its decision(s) and rule(s), in words. */
  function answerWords(a, node) {
    if (a.error) { node.appendChild(UI_badge(null)); node.appendChild(document.createTextNode(" no answer: " + a.error)); return node; }
    node.appendChild(UI_badge(a.settled || "depends"));
    node.appendChild(document.createTextNode(" " + (a.settled ? "" : a.decisions.join(" or ") + ", ") + "by "));
    a.rules.forEach(function (rid, i) {
      if (i) { node.appendChild(document.createTextNode(" / ")); }
      node.appendChild(ruleLink(rid));
    });
    node.appendChild(document.createTextNode(" (" + a.policies.map(function (k) { return k.split("+")[0]; }).join(", ") + ")"));
    return node;
  }
  var UI_badge = badge;

  /* The alternatives under contested readings (contestedPartial), as a block; null when the pack has no point. */
  function alternatives(alts) {
    if (!PA.points.length) { return null; }
    var box = el("div", { cls: "alternatives" });
    if (!alts.length) {
      box.appendChild(el("p", { cls: "muted", text: "No other reading of a contested point changes this answer." }));
      return box;
    }
    box.appendChild(el("p", {}, el("span", { cls: "alt-mark", "aria-hidden": "true", text: "◆ " }),
      el("strong", { text: "Contested: " }), "another reading changes this answer."));
    var list = el("ul");
    alts.forEach(function (a) {
      var li = el("li", { cls: "alternative" }, "Under ", pointLink(a.point), " = ", el("strong", { text: a.option }),
        " (" + a.says + "): ");
      answerWords(a.answer, li);
      if (a.rests_on) { li.appendChild(el("span", { cls: "muted", text: " — rests on " + a.rests_on })); }
      list.appendChild(li);
    });
    box.appendChild(list);
    return box;
  }

  function alternativesText(alts) {
    return alts.map(function (a) {
      var x = a.answer;
      return a.point + "=" + a.option + ": " + (x.error ? "no answer" : (x.settled || x.decisions.join(" or ")) + " by " + x.rules.join(" or "));
    }).join("; ");
  }

  global.AtlasUI = {
    alternatives: alternatives, alternativesText: alternativesText, pointLink: pointLink,
    el: el, clear: clear, badge: badge, ruleLink: ruleLink, rulePage: rulePage, sourceBlock: sourceBlock,
    ruleDetails: ruleDetails, setupControls: setupControls, readKnown: readKnown, cell: cell, cellAnswer: cellAnswer,
    constraintWords: constraintWords, valueWords: valueWords, safeHref: safeHref, GLYPH: GLYPH, dateRange: dateRange,
    fieldLabel: function (f) { return FIELD_LABEL[f] || f; },
  };
})(window);
