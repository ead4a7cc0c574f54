/* policyrules atlas: the evaluator, by lookup in the exported exact decision tables.
 *
 * No DOM here: pure functions over window.POLICYRULES_ATLAS (data/world.js, data/tables.js,
 * data/diffs.js). A strike maps to its class of the rule set in force (the policy chosen by the
 * supplier, the version by the date) exactly as the Python partition maps it: per group of
 * dimensions, the class value of each field the rules split (a code no rule names is "*", a number
 * the index of its interval between thresholds, with the same open and closed ends), then the class
 * index is mixed-radix over the groups. Partial strikes enumerate the consistent classes, as
 * policyrules.analysis.partial does, and merge them into boxes along the same dimensions.
 *
 * Pack text never reaches innerHTML: this file builds no markup at all.
 */
(function (global) {
  "use strict";

  var DATA = global.POLICYRULES_ATLAS || {};
  var WORLD = DATA.world;
  var VARIANTS = DATA.variants || {};
  var DIFFS = DATA.diffs || {};
  var CODE_RE = /^\s*[A-Za-z]{2}\s*$/;
  var DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

  // The world: catalog look-ups and the registry ------------------------------------------

  var weaponIndex = {}, weaponById = {}, regionById = {}, typeById = {}, fieldDim = {}, dimByName = {};
  WORLD.weapons.forEach(function (w) {
    weaponById[w.id] = w;
    [w.id, w.name].concat(w.aliases).forEach(function (label) { weaponIndex[label.trim().toLowerCase()] = w; });
  });
  WORLD.regions.forEach(function (r) { regionById[r.id] = r; });
  WORLD.target_types.forEach(function (t) { typeById[t.id] = t; });
  WORLD.dimensions.forEach(function (d) {
    dimByName[d.name] = d;
    d.fields.forEach(function (f) { fieldDim[f] = d; });
  });
  var NAMED = new Set(WORLD.named_suppliers);
  var ORDER = WORLD.dimensions.map(function (d) { return d.name; });
  var MERGE_ORDER = ORDER.slice().sort(function (a, b) { return dimByName[a].merge_rank - dimByName[b].merge_rank; });
  var BOUNDED = WORLD.dimensions.filter(function (d) { return d.bounded_by; })[0];
  var BOUNDING = dimByName[BOUNDED.bounded_by];

  /* A field's class value in a table: a code no rule names, or a region the table's rules do not
   * name, stands with the others as "*" (policyrules.analysis.partition.Partition.class_value). */
  function classValue(p, field, value) {
    if (value === null || value === undefined) { return null; }
    if (WORLD.fields[field].kind === "code" && !NAMED.has(value)) { return "*"; }
    var named = p.named[field];
    if (named && !named.has(value)) { return "*"; }
    return value;
  }

  function inInterval(iv, x) {
    var above = x > iv[0] || (iv[2] && x === iv[0]);
    var below = x < iv[1] || (iv[3] && x === iv[1]);
    return above && below;
  }

  /* Whether an interval has a value not above cap (Interval.pick(cap) is not None). */
  function reaches(iv, cap) {
    return iv[0] < cap || (iv[0] === cap && iv[2]);
  }

  // Decision tables -------------------------------------------------------------------------

  var prepared = {};

  function prepare(variantId, key) {
    var id = variantId + "|" + key;
    if (prepared[id]) { return prepared[id]; }
    var t = VARIANTS[variantId].tables[key];
    if (!t) { return null; }
    if (t.same_as) { prepared[id] = prepare(t.same_as, key); return prepared[id]; }  // the same rule set
    var outcomes = new Uint16Array(t.count);
    var at = 0;
    for (var i = 0; i < t.classes.length; i += 2) {
      outcomes.fill(t.classes[i + 1], at, at + t.classes[i]);
      at += t.classes[i];
    }
    var radix = [], m = 1;
    for (var g = t.groups.length - 1; g >= 0; g--) { radix[g] = m; m *= t.groups[g].parts.length; }
    var p = {
      table: t, split: new Set(t.split), outcomeOf: outcomes, radix: radix,
      named: Object.fromEntries(Object.entries(t.named || {}).map(function (e) { return [e[0], new Set(e[1])]; })),
      index: t.groups.map(function (group) {
        var map = new Map();
        group.parts.forEach(function (part, j) { map.set(JSON.stringify(part), j); });
        return map;
      }),
      dimKeys: t.groups.map(function (group) {  // per group: per part, per dimension, its key as text
        return group.parts.map(function (part) { return part.map(function (k) { return JSON.stringify(k); }); });
      }),
    };
    prepared[id] = p;
    return p;
  }

  function cutsOf(p, dim) {
    var d = dimByName[dim];
    return p.split.has(d.fields[0]) ? p.table.cuts[dim] : [[0, WORLD.max_range, true, true]];
  }

  /* The key of one dimension for full facts: class values of the fields the rules split. */
  function dimKey(p, dim, facts) {
    var d = dimByName[dim], out = [];
    d.fields.forEach(function (f) {
      if (!p.split.has(f)) { return; }
      var v = facts[f];
      if (d.numeric) {
        if (v === null || v === undefined) { out.push(null); return; }
        var cuts = p.table.cuts[dim], found = -1;
        for (var i = 0; i < cuts.length; i++) { if (inInterval(cuts[i], v)) { found = i; break; } }
        out.push(found);
      } else {
        out.push(classValue(p, f, v));
      }
    });
    return out;
  }

  function classIndex(p, facts) {
    var idx = 0;
    for (var g = 0; g < p.table.groups.length; g++) {
      var key = p.table.groups[g].dims.map(function (dim) { return dimKey(p, dim, facts); });
      var j = p.index[g].get(JSON.stringify(key));
      if (j === undefined) { return -1; }
      idx += j * p.radix[g];
    }
    return idx;
  }

  function outcomeAt(p, cls) {
    var o = p.table.outcomes[p.outcomeOf[cls]];
    var rules = p.table.rules;
    var name = function (i) { return rules[i]; };
    return {
      decision: o[0], rule: o[1] < 0 ? "default" : rules[o[1]],
      matched: o[2].map(name), overridden: o[3].map(name), conflict: o[4].map(name),
    };
  }

  // Policies and versions ---------------------------------------------------------------------

  function policyFor(supplier) {
    var pid = supplier ? supplier.toLowerCase() : null;
    var policies = WORLD.policies;
    if (pid && policies[pid] && pid !== "common" && pid !== "default") { return pid; }
    if (WORLD.default_policy) { return WORLD.default_policy; }
    return null;
  }

  /* The table key judging a policy's strikes on a day (null: its latest version), or an error. */
  function tableKeyAt(variantId, pid, day) {
    var route = VARIANTS[variantId].routes[pid];
    if (!route) { return { error: "no policy " + pid }; }
    if (!day) { return { key: route.latest }; }
    for (var i = 0; i < route.windows.length; i++) {
      var w = route.windows[i];
      if (w[0] <= day && (w[1] === null || day <= w[1])) { return { key: w[2] }; }
    }
    if (route.windows.length && day < route.windows[0][0]) {
      return { error: day + " is before the first version of policy " + pid + " (from " + route.windows[0][0] + ")" };
    }
    return { error: "no version of policy " + pid + " is in force on " + day };
  }

  // Strikes ---------------------------------------------------------------------------------

  function given(v) { return v !== undefined && v !== null && v !== ""; }

  /* A strike dict -> {facts, date} or {errors}: the checks of policyrules.model.intake that
   * decide which class a valid strike falls in (a full strike; partial: fields left out are unknown). */
  function normalise(strike, partial) {
    var errors = [], f = {};
    var has = function (k) { return Object.prototype.hasOwnProperty.call(strike, k) && strike[k] !== undefined; };
    var weapon = null;
    if (has("weapon") && strike.weapon !== null) {
      weapon = typeof strike.weapon === "string" ? weaponIndex[strike.weapon.trim().toLowerCase()] : undefined;
      if (!weapon) { errors.push(["weapon", "unknown weapon"]); } else { f.weapon = weapon.id; }
    } else if (has("weapon") || !partial) {
      f.weapon = null;
    }
    if (has("weapon_class") && strike.weapon_class !== null) {
      if (WORLD.weapon_classes.indexOf(strike.weapon_class) < 0) {
        errors.push(["weapon_class", "unknown weapon class"]);
      } else if (weapon && weapon["class"] !== strike.weapon_class) {
        errors.push(["weapon_class", strike.weapon_class + " contradicts the catalog: " + weapon.name + " is " + weapon["class"]]);
      } else { f.weapon_class = strike.weapon_class; }
    }
    if (weapon) { f.weapon_class = weapon["class"]; }
    if (!partial && !weapon && !given(f.weapon_class) && !errors.length) {
      errors.push(["weapon_class", "required when no weapon is given"]);
    }
    if (has("supplier") && strike.supplier !== null) {
      if (typeof strike.supplier !== "string" || !CODE_RE.test(strike.supplier)) {
        errors.push(["supplier", "not a two-letter ISO 3166 code"]);
      } else {
        f.supplier = strike.supplier.trim().toUpperCase();
        if (weapon && weapon.suppliers.indexOf(f.supplier) < 0) {
          errors.push(["supplier", f.supplier + " contradicts the catalog: " + weapon.name + " is supplied by " + weapon.suppliers.join(", ")]);
        }
      }
    } else if (weapon && weapon.suppliers.length === 1) {
      f.supplier = weapon.suppliers[0];
    } else if (weapon && !partial) {  // the supplier picks the policy: the catalog cannot choose among several
      errors.push(["supplier", weapon.name + " is supplied by " + weapon.suppliers.join(", ") + ": name the supplier"]);
    } else if (!weapon && !partial) {
      f.supplier = null;  // partial: a null supplier is unknown, as parse_known reads it
    }
    if (has("target_region")) {
      var r = typeof strike.target_region === "string" ? regionById[strike.target_region.trim().toLowerCase()] : null;
      if (!r) { errors.push(["target_region", "unknown region"]); } else {
        f.target_region = r.id; f.target_country = r.country;
      }
    } else if (!partial) { errors.push(["target_region", "required"]); }
    if (partial && has("target_country") && !has("target_region")) { f.target_country = strike.target_country; }
    if (has("target_type")) {
      var t = typeById[strike.target_type];
      if (!t) { errors.push(["target_type", "unknown target type"]); } else {
        f.target_type = t.id; f.target_category = t.category;
      }
    } else if (!partial) { errors.push(["target_type", "required"]); }
    if (partial && has("target_category") && !has("target_type")) { f.target_category = strike.target_category; }
    if (has("self_defense") && strike.self_defense !== null) {
      if (typeof strike.self_defense !== "boolean") { errors.push(["self_defense", "yes or no"]); } else {
        f.self_defense = strike.self_defense;
      }
    } else if (!partial) { f.self_defense = false; }
    if (has("defended_region") && strike.defended_region !== null) {
      var dr = typeof strike.defended_region === "string" ? regionById[strike.defended_region.trim().toLowerCase()] : null;
      if (!dr) { errors.push(["defended_region", "unknown region"]); } else if (dr.country !== "UA") {
        errors.push(["defended_region", dr.id + " is not a Ukrainian region"]);
      } else { f.defended_region = dr.id; }
    } else if (has("defended_region") || !partial) { f.defended_region = null; }
    ORDER.forEach(function (dim) {
      var d = dimByName[dim];
      if (!d.numeric) { return; }
      var name = d.fields[0], spec = WORLD.fields[name];
      if (has(name) && strike[name] !== null) {
        var x = strike[name];
        if (typeof x !== "number" || !isFinite(x) || x < 0) { errors.push([name, "a number of at least 0"]); return; }
        var cap = d.bounded_by && weapon ? weapon.reach : WORLD.max_range;
        if (x > cap) { errors.push([name, x + " km is beyond " + (weapon ? weapon.name + "'s reach (" + cap + " km)" : "the largest possible value")]); return; }
        f[name] = x;
      } else if (has(name) && spec.optional) {
        f[name] = null;
      } else if (!partial) {
        if (spec.optional) { f[name] = null; } else { errors.push([name, "required"]); }
      }
    });
    var date = null;
    if (has("date") && strike.date !== null && strike.date !== "") {
      if (typeof strike.date !== "string" || !DATE_RE.test(strike.date)) { errors.push(["date", "a date YYYY-MM-DD"]); } else {
        date = strike.date;
      }
    }
    if (errors.length) { return { errors: errors }; }
    return { facts: f, date: date };
  }

  /* The verdict on a full strike, as Engine.evaluate gives it (decision, rule, policy version). */
  function evaluate(strike, variantId) {
    variantId = variantId || "default";
    var n = normalise(strike, false);
    if (n.errors) { return { error: n.errors.map(function (e) { return e[0] + ": " + e[1]; }).join("; ") }; }
    var pid = policyFor(n.facts.supplier);
    if (!pid) { return { error: "no policy for this supplier and no default policy" }; }
    var at = tableKeyAt(variantId, pid, n.date);
    if (at.error) { return { error: at.error }; }
    var p = prepare(variantId, at.key);
    if (!p) { return { error: "no decision table for " + at.key }; }
    var cls = classIndex(p, n.facts);
    if (cls < 0) { return { error: "the strike falls in no class of " + at.key }; }
    var out = outcomeAt(p, cls);
    out.table = at.key;
    out.policy = p.table.policy;
    out.version = p.table.version;
    out.facts = n.facts;
    return out;
  }

  // Partial strikes -------------------------------------------------------------------------

  function members(dim, suppliers) {
    if (dim === BOUNDING.name) {
      var out = [];
      WORLD.weapons.forEach(function (w) {
        w.suppliers.forEach(function (s) {
          if (suppliers.indexOf(s) >= 0) { out.push({ facts: { weapon: w.id, weapon_class: w["class"], supplier: s }, bound: w.reach }); }
        });
      });
      WORLD.weapon_classes.forEach(function (c) {
        suppliers.forEach(function (s) { out.push({ facts: { weapon: null, weapon_class: c, supplier: s }, bound: WORLD.max_range }); });
      });
      return out;
    }
    if (dim === "target") {
      return WORLD.regions.map(function (r) { return { facts: { target_region: r.id, target_country: r.country } }; });
    }
    if (dim === "target_type") {
      return WORLD.target_types.map(function (t) { return { facts: { target_type: t.id, target_category: t.category } }; });
    }
    if (dim === "self_defense") {
      return [false, true].map(function (v) { return { facts: { self_defense: v } }; });
    }
    if (dim === "defended_region") {
      return [null].concat(WORLD.regions.filter(function (r) { return r.country === "UA"; }).map(function (r) { return r.id; }))
        .map(function (v) { return { facts: { defended_region: v } }; });
    }
    throw new Error("no members for dimension " + dim);
  }

  function classKeyOf(p, dim, facts) {
    return dimByName[dim].fields.filter(function (f) { return p.split.has(f); })
      .map(function (f) { return classValue(p, f, facts[f]); });
  }

  /* The classes some strike with the known facts falls in: feasible (weapon, range) key pairs and
   * a set of keys per other dimension (policyrules.analysis.partial.consistent). */
  function consistent(p, known) {
    var fits = function (m) {
      return Object.keys(m.facts).every(function (f) {
        return !(f in known) || classValue(p, f, m.facts[f]) === classValue(p, f, known[f]);
      });
    };
    var pairs = new Set(), x = known[BOUNDED.fields[0]];
    var rangeSplit = p.split.has(BOUNDED.fields[0]), ivs = cutsOf(p, BOUNDED.name);
    members(BOUNDING.name, p.table.suppliers).forEach(function (m) {
      if (!fits(m)) { return; }
      var wk = JSON.stringify(classKeyOf(p, BOUNDING.name, m.facts));
      ivs.forEach(function (iv, i) {
        var ok = (x !== undefined && x !== null) ? inInterval(iv, x) && x <= m.bound : reaches(iv, m.bound);
        if (ok) { pairs.add(wk + "|" + JSON.stringify(rangeSplit ? [i] : [])); }
      });
    });
    var values = {};
    ORDER.forEach(function (dim) {
      var d = dimByName[dim];
      if (d === BOUNDING || d === BOUNDED) { return; }
      var set = new Set();
      if (d.numeric) {
        var name = d.fields[0];
        if (!p.split.has(name)) { set.add("[]"); } else {
          var choices = (WORLD.fields[name].optional ? [null] : []).concat(p.table.cuts[dim].map(function (_, i) { return i; }));
          choices.forEach(function (c) {
            var ok;
            if (name in known) {
              var y = known[name];
              ok = (y === null || y === undefined) ? c === null : c !== null && inInterval(p.table.cuts[dim][c], y);
            } else { ok = c !== null; }
            if (ok) { set.add(JSON.stringify([c])); }
          });
        }
      } else {
        members(dim, p.table.suppliers).forEach(function (m) { if (fits(m)) { set.add(JSON.stringify(classKeyOf(p, dim, m.facts))); } });
      }
      values[dim] = set;
    });
    var outer = new Set(), inner = new Set();
    pairs.forEach(function (pr) { var s = pr.split("|"); outer.add(s[0]); inner.add(s[1]); });
    values[BOUNDING.name] = outer;
    values[BOUNDED.name] = inner;
    return { pairs: pairs, values: values };
  }

  /* Every class of p within universe u: [class index, point (key text per dimension, in ORDER)]. */
  function classesWithin(p, u) {
    var lists = p.table.groups.map(function (group, g) {
      var keep = [];
      p.dimKeys[g].forEach(function (keys, j) {
        var ok;
        if (group.dims[0] === BOUNDING.name) {
          ok = u.pairs.has(keys[0] + "|" + keys[1]);
        } else {
          ok = group.dims.every(function (dim, k) { return u.values[dim].has(keys[k]); });
        }
        if (ok) { keep.push(j); }
      });
      return keep;
    });
    var out = [];
    var walk = function (g, idx, point) {
      if (g === lists.length) { out.push([idx, point.slice()]); return; }
      var dims = p.table.groups[g].dims;
      lists[g].forEach(function (j) {
        var keys = p.dimKeys[g][j];
        dims.forEach(function (dim, k) { point[ORDER.indexOf(dim)] = keys[k]; });
        walk(g + 1, idx + j * p.radix[g], point);
      });
    };
    walk(0, 0, new Array(ORDER.length));
    return out;
  }

  // Boxes: classes merged along one dimension at a time (policyrules.analysis.merging.merge) --

  function merge(points) {
    var boxes = new Map();
    points.forEach(function (pt) {
      var box = pt.map(function (k) { return [k]; });
      boxes.set(JSON.stringify(box), box);
    });
    var changed = true;
    while (changed) {
      changed = false;
      MERGE_ORDER.forEach(function (dim) {
        var i = ORDER.indexOf(dim), groups = new Map();
        boxes.forEach(function (box) {
          var rest = JSON.stringify(box.filter(function (_, j) { return j !== i; }));
          var found = groups.get(rest);
          if (!found) { groups.set(rest, { box: box, vals: new Set(box[i]) }); } else { box[i].forEach(function (v) { found.vals.add(v); }); }
        });
        if (groups.size < boxes.size) {
          changed = true;
          var next = new Map();
          groups.forEach(function (gr) {
            var box = gr.box.slice();
            box[i] = Array.from(gr.vals).sort();
            next.set(JSON.stringify(box), box);
          });
          boxes = next;
        }
      });
    }
    return Array.from(boxes.values());
  }

  function boxSize(box) { return box.reduce(function (n, s) { return n * s.length; }, 1); }

  function freeIn(u, box) {
    var bi = ORDER.indexOf(BOUNDING.name), ri = ORDER.indexOf(BOUNDED.name);
    var outer = new Set(box[bi]), inner = new Set(box[ri]);
    return ORDER.map(function (dim, i) {
      if (i === bi || i === ri) {
        var all = true;
        u.pairs.forEach(function (pr) {
          var s = pr.split("|");
          if (i === bi && inner.has(s[1]) && !outer.has(s[0])) { all = false; }
          if (i === ri && outer.has(s[0]) && !inner.has(s[1])) { all = false; }
        });
        return all;
      }
      var mine = new Set(box[i]), every = true;
      u.values[dim].forEach(function (k) { if (!mine.has(k)) { every = false; } });
      return every;
    });
  }

  function spans(ivs) {
    var sorted = ivs.slice().sort(function (a, b) { return a[0] - b[0] || (a[2] ? 0 : 1) - (b[2] ? 0 : 1); });
    var out = [];
    sorted.forEach(function (iv) {
      var last = out[out.length - 1];
      if (last && last[1] === iv[0] && (last[3] || iv[2])) { out[out.length - 1] = [last[0], iv[1], last[2], iv[3]]; } else { out.push(iv.slice()); }
    });
    return out;
  }

  function spanText(s) {
    if (s[0] === s[1]) { return "= " + s[0]; }
    if (s[0] === 0 && s[2]) { return (s[3] ? "<= " : "< ") + s[1]; }
    if (s[1] === WORLD.max_range && s[3]) { return (s[2] ? ">= " : "> ") + s[0]; }
    return (s[2] ? ">= " : "> ") + s[0] + " and " + (s[3] ? "<= " : "< ") + s[1];
  }

  /* The values a stand-in ("*") of a key stands for: the field's values the table's rules do not
   * name, agreeing with the key on what they fix (a region its country), as the registry exports
   * them (WORLD.stand_ins; policyrules.analysis.merging.expanded). */
  function standsFor(p, field, fields, key) {
    var named = p.named[field], spec = WORLD.stand_ins[field];
    return spec.values.filter(function (v) {
      return !named.has(v) && Object.keys(spec.derived).every(function (g) {
        var at = fields.indexOf(g);
        return at < 0 || spec.derived[g][v] === key[at];
      });
    });
  }

  /* Field -> values (numbers: span texts; "not given" for a number left out) for the dimensions
   * a box does not leave free (policyrules.analysis.merging.constraints). */
  function constraints(p, box, free) {
    var out = {};
    ORDER.forEach(function (dim, i) {
      var keys = box[i].map(function (k) { return JSON.parse(k); });
      if (free[i] || !keys.some(function (k) { return k.length; })) { return; }
      var d = dimByName[dim];
      if (d.numeric) {
        var ivs = [], none = false;
        keys.forEach(function (k) { if (!k.length) { return; } if (k[0] === null) { none = true; } else { ivs.push(p.table.cuts[dim][k[0]]); } });
        out[d.fields[0]] = spans(ivs).map(spanText).concat(none ? ["not given"] : []);
        return;
      }
      var fields = d.fields.filter(function (f) { return p.split.has(f); });
      var names = fields.slice();
      if (d.fields.some(function (f) { return WORLD.fields[f].derived_from; })) { names = names.slice(0, 1); }
      names.forEach(function (f) {
        var pos = fields.indexOf(f), seen = [];
        keys.forEach(function (k) {
          (k[pos] === "*" && p.named[f] ? standsFor(p, f, fields, k) : [k[pos]]).forEach(function (v) {
            if (seen.indexOf(v) < 0) { seen.push(v); }
          });
        });
        out[f] = seen;
      });
    });
    return out;
  }

  /* The dimensions whose value alone changes the decision: two classes of one policy that differ
   * only in it get different decisions; and "supplier" (it picks the policy) when the policies
   * still possible decide differently (policyrules.analysis.partial._deciding_dimensions). */
  function decidingDimensions(order, nParts) {
    var decided = new Map();
    order.forEach(function (g) {
      g.points.forEach(function (point) {
        var key = g.policy + "\u0001" + JSON.stringify(point);
        var got = decided.get(key);
        if (!got) { got = { policy: g.policy, point: point, decisions: new Set() }; decided.set(key, got); }
        got.decisions.add(g.decision);
      });
    });
    var out = new Set();
    ORDER.forEach(function (name, k) {
      var seen = new Map();
      var entries = Array.from(decided.values());
      for (var e = 0; e < entries.length && !out.has(name); e++) {
        var rest = entries[e].point.slice(0, k).concat(entries[e].point.slice(k + 1));
        var key = entries[e].policy + "\u0001" + JSON.stringify(rest);
        entries[e].decisions.forEach(function (d) {
          if (!seen.has(key)) { seen.set(key, d); } else if (seen.get(key) !== d) { out.add(name); }
        });
      }
    });
    if (nParts > 1) {
      var byPolicy = [];
      for (var i = 0; i < nParts; i++) { byPolicy.push(new Set()); }
      decided.forEach(function (e) { e.decisions.forEach(function (d) { byPolicy[e.policy].add(d); }); });
      var texts = new Set(byPolicy.map(function (s) { return Array.from(s).sort().join(","); }));
      if (texts.size > 1) { out.add("supplier"); }
    }
    return out;
  }

  /* Every decision a strike with only `known` fields can get, and when (Engine.evaluate_partial). */
  function partial(input, variantId) {
    variantId = variantId || "default";
    var n = normalise(input, true);
    if (n.errors) { return { error: n.errors.map(function (e) { return e[0] + ": " + e[1]; }).join("; ") }; }
    var known = n.facts;
    var pids = "supplier" in known ? [policyFor(known.supplier)] :
      Object.keys(WORLD.policies).filter(function (pid) { return WORLD.policies[pid].judges; });
    var parts = [];
    var lastError = null;
    pids.forEach(function (pid) {
      var at = tableKeyAt(variantId, pid, n.date);
      if (at.error) { lastError = at.error; return; }
      parts.push(prepare(variantId, at.key));
    });
    if (!parts.length) { return { error: lastError || "no policy is in force on " + n.date }; }
    if (parts.length < pids.length && pids.length === 1) { return { error: lastError }; }
    var groups = new Map(), order = [];
    var universes = parts.map(function (p, pi) {
      var u = consistent(p, known);
      classesWithin(p, u).forEach(function (c) {
        var o = outcomeAt(p, c[0]);
        var gk = pi + "|" + o.decision + "|" + o.rule;
        var gr = groups.get(gk);
        if (!gr) { gr = { policy: pi, decision: o.decision, rule: o.rule, points: [], outcome: o, cls: c[0] }; groups.set(gk, gr); order.push(gr); }
        gr.points.push(c[1]);
      });
      return u;
    });
    var decisions = Array.from(new Set(order.map(function (g) { return g.decision; }))).sort();
    var rules = Array.from(new Set(order.map(function (g) { return g.rule; })));
    var policies = Array.from(new Set(order.map(function (g) { return parts[g.policy].table.key; })));
    var possibilities = [];
    order.slice().sort(function (a, b) { return a.decision < b.decision ? -1 : a.decision > b.decision ? 1 : a.policy - b.policy; })
      .forEach(function (g) {
        var p = parts[g.policy], u = universes[g.policy];
        merge(g.points).forEach(function (box) {
          possibilities.push({
            decision: g.decision, rule: g.rule, policy: p.table.policy + "@" + p.table.version, table: p.table.key,
            classes: boxSize(box), constraints: constraints(p, box, freeIn(u, box)),
          });
        });
      });
    var constrained = new Set();
    if (decisions.length > 1) {
      possibilities.forEach(function (ps) {
        Object.keys(ps.constraints).forEach(function (f) { constrained.add(WORLD.fields[f].derived_from || f); });
      });
    }
    var deciding = decisions.length > 1 ? decidingDimensions(order, parts.length) : new Set();
    if (parts.length > 1 && deciding.has("supplier")) { constrained.add("supplier"); }
    var missing = WORLD.known_fields.filter(function (f) {
      return !(f in known) && constrained.has(f) && (deciding.has(WORLD.fields[f].dimension) || deciding.has(f));
    });
    var single = order.length === 1 && order[0].points.length === 1 ? order[0].outcome : null;
    return {
      known: known, date: n.date, decisions: decisions, settled: decisions.length === 1 ? decisions[0] : null,
      rules: rules, policies: policies, missing: missing,
      possibilities: decisions.length > 1 ? possibilities : [], all: possibilities, outcome: single,
    };
  }

  // Diffs -----------------------------------------------------------------------------------

  /* The diff from table a to table b, as policyrules.analysis.diff computes it (precomputed per
   * unordered pair; the reverse swaps before and after), or null when the pair was not exported. */
  function diff(a, b) {
    if (a === b) { return { classes: null, changed: 0, entries: [], same: true }; }
    var found = DIFFS[a + "|" + b];
    if (found) { return found; }
    found = DIFFS[b + "|" + a];
    if (!found) { return null; }
    return {
      classes: found.classes, changed: found.changed,
      entries: found.entries.map(function (e) {
        return { description: e.description, constraints: e.constraints, before: e.after, after: e.before, classes: e.classes, example: e.example };
      }).sort(function (x, y) {
        var sx = x.before.decision === x.after.decision, sy = y.before.decision === y.after.decision;
        if (sx !== sy) { return sx ? 1 : -1; }
        return x.description < y.description ? -1 : x.description > y.description ? 1 : 0;
      }),
    };
  }

  /* The variant and key whose table a variant's table is (a variant shares the tables it decides
   * exactly as the default does). */
  function canonical(variantId, key) {
    var t = VARIANTS[variantId] && VARIANTS[variantId].tables[key];
    return t && t.same_as ? { variant: t.same_as, key: key } : { variant: variantId, key: key };
  }

  function swapped(found) {
    return {
      classes: found.classes, changed: found.changed,
      entries: found.entries.map(function (e) {
        return { description: e.description, constraints: e.constraints, before: e.after, after: e.before, classes: e.classes, example: e.example };
      }).sort(function (x, y) {
        var sx = x.before.decision === x.after.decision, sy = y.before.decision === y.after.decision;
        if (sx !== sy) { return sx ? 1 : -1; }
        return x.description < y.description ? -1 : x.description > y.description ? 1 : 0;
      }),
    };
  }

  /* The diff from table ka under variant va to table kb under variant vb (two dates, two readings,
   * or both), as engine.diff(a, b, before_readings=..., after_readings=...) computes it; null when
   * the pair was not exported (two readings other than the atlas's own, or --diffs none). */
  function diffBetween(va, ka, vb, kb) {
    var a = canonical(va, ka), b = canonical(vb, kb);
    if (a.variant === b.variant && a.key === b.key) {  // one rule set: no class changes (as `diff` says, over its classes)
      return { classes: VARIANTS[a.variant].tables[a.key].count, changed: 0, entries: [], same: true };
    }
    if (a.variant === "default" && b.variant === "default") { return diff(a.key, b.key); }
    var qa = a.variant + "~" + a.key, qb = b.variant + "~" + b.key;
    if (DIFFS[qa + "|" + qb]) { return DIFFS[qa + "|" + qb]; }
    if (DIFFS[qb + "|" + qa]) { return swapped(DIFFS[qb + "|" + qa]); }
    return null;
  }

  // Contested readings ------------------------------------------------------------------------

  var POINTS = WORLD.points || [];

  /* The points that can touch a strike judged by (or named for) these policies (deciding.contested.relevant). */
  function relevantPoints(policies) {
    var wanted = new Set(policies.concat(["common", "default"]));
    return POINTS.filter(function (p) { return wanted.has(p.policy); });
  }

  /* The contested points whose other options change a full strike's decision or deciding rule, each
   * with the decision, rule and policy version under those options: Engine.contested, by looking up
   * each option's exported tables. */
  function contested(strike) {
    var here = evaluate(strike, "default");
    if (here.error) { return { error: here.error }; }
    var policies = [here.policy];
    if (here.facts.supplier) { policies.push(here.facts.supplier.toLowerCase()); }
    var out = [];
    relevantPoints(policies).forEach(function (p) {
      var alternatives = [];
      p.options.forEach(function (o) {
        if (o.id === p.chosen) { return; }
        var v = evaluate(strike, p.id + "=" + o.id);
        if (!v.error && v.decision === here.decision && v.rule === here.rule) { return; }
        alternatives.push(v.error ? { option: o.id, says: o.text, decision: null, rule: null, policy: null, error: v.error } :
          { option: o.id, says: o.text, decision: v.decision, rule: v.rule, policy: v.policy + "@" + v.version, error: null });
      });
      if (alternatives.length) { out.push({ point: p.id, question: p.question, chosen: p.chosen, alternatives: alternatives }); }
    });
    return { verdict: here, contests: out };
  }

  function sameAnswer(a, b) {
    if (a.error || b.error) { return !!a.error && !!b.error; }
    return a.decisions.join() === b.decisions.join() && a.rules.slice().sort().join() === b.rules.slice().sort().join();
  }

  /* For a strike with open fields: each other option of a relevant point under which the possible
   * decisions or deciding rules differ, with that answer (partial() under the option's tables). */
  function contestedPartial(known, here) {
    here = here || partial(known, "default");
    if (!POINTS.length) { return []; }
    var policies = here.error ? Object.keys(WORLD.policies) :
      here.policies.map(function (k) { return VARIANTS["default"].tables[k].policy; });
    if (known.supplier) { policies.push(String(known.supplier).toLowerCase()); }
    var out = [];
    relevantPoints(policies).forEach(function (p) {
      p.options.forEach(function (o) {
        if (o.id === p.chosen) { return; }
        var a = partial(known, p.id + "=" + o.id);
        if (!sameAnswer(here, a)) { out.push({ point: p.id, question: p.question, option: o.id, says: o.text, rests_on: o.rests_on, answer: a }); }
      });
    });
    return out;
  }

  global.PolicyAtlas = {
    points: POINTS, contested: contested, contestedPartial: contestedPartial, diffBetween: diffBetween,
    contestedMany: function (strikes) {
      return strikes.map(function (s) {
        var c = contested(s);
        if (c.error) { return { error: c.error }; }
        return c.contests.map(function (k) {
          return { point: k.point, alternatives: k.alternatives.map(function (a) { return { option: a.option, decision: a.decision, rule: a.rule, policy: a.policy }; }) };
        });
      });
    },
    world: WORLD, variants: VARIANTS, weaponById: weaponById, regionById: regionById,
    evaluate: evaluate, partial: partial, diff: diff, tableKeyAt: tableKeyAt, policyFor: policyFor,
    normalise: normalise,
    evaluateMany: function (strikes, variantId) {
      return strikes.map(function (s) {
        var v = evaluate(s, variantId);
        return v.error ? { error: v.error } : { decision: v.decision, rule: v.rule, table: v.table };
      });
    },
  };
})(window);
