/* The evaluate hot paths of policyrules in C (optional; see policyrules/deciding/speedups.py).
 *
 * The same steps as the Python hot path (policyrules/deciding/hotpath.py), for the cases it can
 * finish without Python code: a plain dict whose key the engine has learnt, or a strike validated
 * against the engine's catalog (or its equal twin), of a class whose verdict parts are known
 * (compiled backend). Everything else, and any error on the way, goes to the Python hot path,
 * which does the same work from the start and words any problem: this module never decides
 * anything the Python path would not, it only skips the interpreter on the way to a known class.
 *
 * Nothing here names a field: configure() is given the registry's fields (the key fields with
 * whether each is boolean, the optional numbers, the numbers with whether each is optional).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#define SPEEDUPS_VERSION 3
#define MAX_NUMBERS 8
#define MAX_FIELDS 32

static PyObject *ABSENT, *VERDICT, *PROPOSED, *FALLBACK, *NUMBER_OF, *ROUTE, *BASE, *DECIDER;
static PyObject *KEY_NAMES[MAX_FIELDS];
static int KEY_BOOL[MAX_FIELDS];
static Py_ssize_t NKEY;
static PyObject *OPT_NAMES[MAX_NUMBERS];
static Py_ssize_t NOPT;
static PyObject *NUM_NAMES[MAX_NUMBERS];
static int NUM_OPT[MAX_NUMBERS];
static Py_ssize_t NNUM;
static Py_ssize_t OPT_AT[MAX_NUMBERS]; /* each optional number's place among the numbers */
/* Every field a dict may hold (the key fields, then the numbers) in an open-addressing table by the
 * name's hash, so that one pass over a dict's items (PyDict_Next) places each value without a
 * look-up per field. */
#define MAX_ALL (MAX_FIELDS + MAX_NUMBERS)
#define TABLE 128
static struct {
    PyObject *name;
    Py_hash_t hash;
    int at;
} FIELD_TABLE[TABLE];
static Py_ssize_t OFF_PARTS = -1, OFF_STRIKE = -1, OFF_CONTESTED = -1;
static Py_ssize_t OFF_X[MAX_NUMBERS]; /* a verdict's number slots (_x0, _x1, ...: Verdict's NUMBER_SLOTS) */
/* Slots read by offset, on objects of exactly the configured types (a Route, a Base, a decider, a strike). */
static Py_ssize_t R_LIMITS, R_CLASSES, R_CUTS, R_WIDTHS, R_PARTS, B_PICKER, B_SERIAL, D_CLASSES, D_CUTS, D_WIDTHS,
    D_SPAN, S_PRIVATE;
#define SLOT(obj, off) (*(PyObject **)((char *)(obj) + (off)))

/* What one call reads of the evaluator (evaluate_into reads it once for all its strikes). */
typedef struct Index Index;
typedef struct {
    PyObject *self, *fast, *catalog, *twin, *days;
    PyObject *holder; /* the evaluator's IndexObject (a reference), or NULL: look-ups go to _fast only */
    Index *index;
} Ctx;

static PyObject *s_fast, *s_days, *s_catalog, *s_twin, *s_class_parts, *s_hot, *s_index;

/* A new verdict with its slots set (as Verdict.of does, or the Python hot path for a dict): its parts,
 * its strike or, for a plain dict, the route its key stands for and its numbers xs (NULL: none). Steals
 * nothing.
 *
 * It is not tracked by the cyclic garbage collector: nothing it holds (its shared parts, its strike
 * or the route and numbers the strike is built from, contested alternatives made later) can refer
 * back to it, so it is never part of a cycle, and a million verdicts kept in a list are then not
 * traversed by every collection (evaluate_many pauses the collector; the first collection after it
 * would otherwise walk all of them, and every older-generation collection again). Reference counting
 * frees it. */
static PyObject *verdict_new(PyObject *parts, PyObject *strike, PyObject *const *xs) {
    PyTypeObject *t = (PyTypeObject *)VERDICT;
    /* Not tp_alloc (PyType_GenericAlloc): that zeroes the object and links it into the collector's
     * list, to be unlinked at once here. Every slot is set below (_contested: unset). */
    PyObject *v = PyObject_GC_New(PyObject, t);
    if (v == NULL) return NULL;
    SLOT(v, OFF_CONTESTED) = NULL;
    Py_INCREF(parts);
    Py_INCREF(strike);
    SLOT(v, OFF_PARTS) = parts;
    SLOT(v, OFF_STRIKE) = strike;
    for (Py_ssize_t i = 0; i < NNUM; i++) {
        PyObject *x = xs != NULL ? xs[i] : NULL;
        Py_XINCREF(x);
        SLOT(v, OFF_X[i]) = x;
    }
    return v;
}

/* A number's interval code among thresholds `cuts` (a tuple of floats): 2j between thresholds,
 * 2j + 1 on threshold j (j = bisect_left). -1 when a threshold is not a float (the Python path decides). */
static long long interval_code(PyObject *cuts, double x) {
    Py_ssize_t lo = 0, hi = PyTuple_GET_SIZE(cuts);
    Py_ssize_t n = hi;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        PyObject *c = PyTuple_GET_ITEM(cuts, mid);
        if (!PyFloat_CheckExact(c)) return -1;
        if (PyFloat_AS_DOUBLE(c) < x) lo = mid + 1;
        else hi = mid;
    }
    if (lo < n) {
        PyObject *c = PyTuple_GET_ITEM(cuts, lo);
        if (!PyFloat_CheckExact(c)) return -1;
        if (PyFloat_AS_DOUBLE(c) == x) return 2 * lo + 1;
    }
    return 2 * lo;
}

/* The numbers' class code (see policyrules.deciding.decider.class_lines): -1 if it cannot tell. */
static long long class_code(PyObject *cuts, PyObject *widths, PyObject **xs) {
    if (cuts == NULL || widths == NULL || !PyTuple_CheckExact(cuts) || !PyTuple_CheckExact(widths) || PyTuple_GET_SIZE(cuts) != NNUM
        || PyTuple_GET_SIZE(widths) != NNUM)
        return -1;
    long long ck = 0;
    for (Py_ssize_t i = 0; i < NNUM; i++) {
        long long w = 1;
        if (i > 0) {
            w = PyLong_AsLongLong(PyTuple_GET_ITEM(widths, i));
            if (w == -1 && PyErr_Occurred()) return -1;
        }
        if (xs[i] == Py_None) { /* an optional number left out */
            ck = i == 0 ? 0 : ck * w;
            continue;
        }
        PyObject *c = PyTuple_GET_ITEM(cuts, i);
        if (!PyTuple_CheckExact(c)) return -1;
        long long code = interval_code(c, PyFloat_AS_DOUBLE(xs[i]));
        if (code < 0) return -1;
        ck = (i == 0 ? 0 : ck * w) + (NUM_OPT[i] ? 1 : 0) + code;
    }
    return ck;
}

/* The C path's own index of the evaluator's _fast (dict key -> Route), an object kept on the
 * evaluator (its _c_index): the same entries, found without building the key tuple, and with the
 * verdict parts of a few of each route's classes at hand. Only keys whose values are exact str, bool
 * or the absent marker are indexed (their hash and equality are C's own: no Python code runs while
 * an entry is read). It is a cache of _fast, filled from it: _fast entries are never removed, and a
 * route's parts are never changed once stored, so an entry never goes stale. Entry pointers are never
 * held across anything that may run Python code (which could let another thread grow the index). */
#define PARTS_KEPT 3
#define INDEX_MAX 65536 /* entries, as _fast's own limit */
#ifdef _MSC_VER
#define CACHE_LINE __declspec(align(64))
#else
#define CACHE_LINE __attribute__((aligned(64)))
#endif
typedef struct CACHE_LINE entry_s { /* 64 bytes, one cache line: a look-up reads one line of the table */
    Py_hash_t hash;
    PyObject *key;   /* the _fast key tuple (a reference); NULL: an empty slot */
    PyObject *route; /* a reference */
    PyObject *parts[PARTS_KEPT]; /* references, or NULL */
    int32_t code[PARTS_KEPT];
    int32_t next;    /* the slot the next parts go to */
} Entry;
struct Index {
    size_t mask;
    Py_ssize_t used;
    Entry *slots;
};

/* n zeroed entries, each on a cache line of its own (free with slots_free). */
static Entry *slots_new(size_t n) {
#ifdef _MSC_VER
    Entry *slots = _aligned_malloc(n * sizeof(Entry), 64);
#else
    Entry *slots = aligned_alloc(64, n * sizeof(Entry));
#endif
    if (slots != NULL) memset(slots, 0, n * sizeof(Entry));
    return slots;
}

static void slots_free(Entry *slots) {
#ifdef _MSC_VER
    _aligned_free(slots);
#else
    free(slots);
#endif
}

/* The index is an object of its own type, tracked by the cyclic garbage collector: what it holds
 * (routes, their parts) may refer back to the evaluator that holds it. */
typedef struct {
    PyObject_HEAD
    Index ix;
} IndexObject;

static int index_traverse(PyObject *self, visitproc visit, void *arg) {
    Index *ix = &((IndexObject *)self)->ix;
    for (size_t i = 0; ix->slots != NULL && i <= ix->mask; i++) {
        Entry *e = &ix->slots[i];
        if (e->key == NULL) continue;
        Py_VISIT(e->key);
        Py_VISIT(e->route);
        for (int k = 0; k < PARTS_KEPT; k++) Py_VISIT(e->parts[k]);
    }
    return 0;
}

static int index_clear(PyObject *self) {
    Index *ix = &((IndexObject *)self)->ix;
    Entry *slots = ix->slots;
    size_t n = slots == NULL ? 0 : ix->mask + 1;
    ix->slots = NULL; /* emptied first: a finalizer run by a decref below finds no entries */
    ix->mask = 0;
    ix->used = 0;
    for (size_t i = 0; i < n; i++) {
        Entry *e = &slots[i];
        if (e->key == NULL) continue;
        Py_DECREF(e->key);
        Py_DECREF(e->route);
        for (int k = 0; k < PARTS_KEPT; k++) Py_XDECREF(e->parts[k]);
    }
    slots_free(slots);
    return 0;
}

static void index_dealloc(PyObject *self) {
    PyObject_GC_UnTrack(self);
    index_clear(self);
    Py_TYPE(self)->tp_free(self);
}

static PyTypeObject IndexType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_policyrules_speedups.Index",
    .tp_doc = "The C hot path's index of an evaluator's _fast (see policyrules.deciding.speedups).",
    .tp_basicsize = sizeof(IndexObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = index_traverse,
    .tp_clear = index_clear,
    .tp_dealloc = index_dealloc,
};

/* The evaluator's index (made and stored on it the first time); NULL without an error when it
 * cannot have one (the C path then reads _fast only). */
static PyObject *index_of(PyObject *self) {
    PyObject *found = PyObject_GetAttr(self, s_index);
    if (found == NULL) {
        PyErr_Clear();
        return NULL;
    }
    if (Py_TYPE(found) == &IndexType) return found;
    int fresh = found == Py_None;
    Py_DECREF(found);
    if (!fresh) return NULL;
    IndexObject *made = PyObject_GC_New(IndexObject, &IndexType);
    if (made == NULL) {
        PyErr_Clear();
        return NULL;
    }
    made->ix.mask = 1023;
    made->ix.used = 0;
    made->ix.slots = slots_new(1024);
    PyObject_GC_Track((PyObject *)made);
    if (made->ix.slots == NULL || PyObject_SetAttr(self, s_index, (PyObject *)made) < 0) {
        PyErr_Clear();
        Py_DECREF(made);
        return NULL;
    }
    return (PyObject *)made;
}

/* A key item's hash, if the index can take it (exact str, bool, the absent marker): 0, else -1. */
static int item_hash(PyObject *v, Py_hash_t *h) {
    if (PyUnicode_CheckExact(v)) {
        *h = ((PyASCIIObject *)v)->hash;
        if (*h == -1) *h = PyObject_Hash(v); /* a str's own hash: no Python code */
        return *h == -1 ? -1 : 0;
    }
    if (v == Py_True || v == Py_False || v == ABSENT) { /* equal only to themselves: by identity */
        *h = (Py_hash_t)((uintptr_t)v >> 4);
        return 0;
    }
    return -1;
}

/* Whether a key item equals the stored one, for items item_hash takes. */
static int same_item(PyObject *a, PyObject *b) {
    if (a == b) return 1;
    if (!PyUnicode_CheckExact(a) || !PyUnicode_CheckExact(b)) return 0;
    Py_hash_t ha = ((PyASCIIObject *)a)->hash, hb = ((PyASCIIObject *)b)->hash;
    if (ha != -1 && hb != -1 && ha != hb) return 0;
    /* Equal strs have the same length and kind (a str's form is canonical): then their bytes. */
    Py_ssize_t n = PyUnicode_GET_LENGTH(a);
    int kind = PyUnicode_KIND(a);
    if (PyUnicode_GET_LENGTH(b) != n || PyUnicode_KIND(b) != kind) return 0;
    return memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), (size_t)n * (size_t)kind) == 0;
}

/* The hash of key items (the length by value), or -1 when the index cannot take them. */
static Py_hash_t items_hash(PyObject *const *items, Py_ssize_t len) {
    Py_uhash_t acc = (Py_uhash_t)len * 0x9E3779B97F4A7C15ULL;
    for (Py_ssize_t i = 1; i < 1 + NKEY + NOPT; i++) {
        Py_hash_t h;
        if (item_hash(items[i], &h) < 0) return -1;
        acc = (acc ^ (Py_uhash_t)h) * 0x100000001B3ULL;
        acc ^= acc >> 29;
    }
    Py_hash_t out = (Py_hash_t)(acc & (Py_uhash_t)PY_SSIZE_T_MAX);
    return out == -1 ? 0 : out;
}

/* The entry of these key items, or NULL. Runs no Python code. */
static Entry *index_find(Index *ix, Py_hash_t hash, PyObject *const *items, Py_ssize_t len) {
    if (ix->slots == NULL) return NULL;
    for (size_t i = (size_t)hash & ix->mask;; i = (i + 1) & ix->mask) {
        Entry *e = &ix->slots[i];
        if (e->key == NULL) return NULL;
        if (e->hash != hash) continue;
        PyObject *k0 = PyTuple_GET_ITEM(e->key, 0);
        if (!PyLong_CheckExact(k0) || PyLong_AsSsize_t(k0) != len) continue;
        Py_ssize_t n = 1 + NKEY + NOPT, m = 1;
        while (m < n && same_item(items[m], PyTuple_GET_ITEM(e->key, m))) m++;
        if (m == n) return e;
    }
}

/* Index the key (a tuple of these items) as standing for route. Runs no Python code. */
static void index_add(Index *ix, Py_hash_t hash, PyObject *key, PyObject *route) {
    if (ix->slots == NULL || ix->used >= INDEX_MAX) return;
    if ((size_t)(ix->used + 1) * 2 > ix->mask + 1) { /* grow: at most half full */
        size_t cap = (ix->mask + 1) * 2;
        Entry *slots = slots_new(cap);
        if (slots == NULL) return; /* a cache: it simply stays as it is */
        for (size_t i = 0; i <= ix->mask; i++) {
            Entry *e = &ix->slots[i];
            if (e->key == NULL) continue;
            size_t j = (size_t)e->hash & (cap - 1);
            while (slots[j].key != NULL) j = (j + 1) & (cap - 1);
            slots[j] = *e;
        }
        slots_free(ix->slots);
        ix->slots = slots;
        ix->mask = cap - 1;
    }
    size_t i = (size_t)hash & ix->mask;
    while (ix->slots[i].key != NULL) i = (i + 1) & ix->mask;
    Entry *e = &ix->slots[i];
    Py_INCREF(key);
    Py_INCREF(route);
    e->hash = hash;
    e->key = key;
    e->route = route;
    ix->used++;
}

/* The evaluator's attributes a call reads (new references); -1 with an error if one is missing. */
static int ctx_open(Ctx *c, PyObject *self, int strikes, int dicts) {
    /* strikes: also what validated strikes need; dicts: also the index (a single strike needs one or the other) */
    c->self = self;
    c->fast = PyObject_GetAttr(self, s_fast);
    if (c->fast != NULL && strikes) {
        c->catalog = PyObject_GetAttr(self, s_catalog);
        c->twin = c->catalog == NULL ? NULL : PyObject_GetAttr(self, s_twin);
        c->days = c->twin == NULL ? NULL : PyObject_GetAttr(self, s_days);
        if (c->days == NULL) return -1;
        if (!PyDict_Check(c->days)) goto wrong;
    }
    if (c->fast == NULL) return -1;
    if (PyDict_CheckExact(c->fast)) {
        c->holder = dicts ? index_of(self) : NULL;
        c->index = c->holder == NULL ? NULL : &((IndexObject *)c->holder)->ix;
        return 0;
    }
wrong:
    PyErr_SetString(PyExc_TypeError, "_policyrules_speedups: not an evaluator");
    return -1;
}

static void ctx_close(Ctx *c) {
    Py_CLEAR(c->fast);
    Py_CLEAR(c->catalog);
    Py_CLEAR(c->twin);
    Py_CLEAR(c->days);
    Py_CLEAR(c->holder);
    c->index = NULL;
}

/* A dict key's place among the fields (key fields first, then numbers); -1 for any other key (or a key
 * not an exact str: the Python path reads the dict as it reads it). Never runs Python code. */
static int field_at(PyObject *k) {
    if (!PyUnicode_CheckExact(k)) return -1;
    Py_hash_t h = ((PyASCIIObject *)k)->hash;
    if (h == -1 && (h = PyObject_Hash(k)) == -1) return -1;
    for (size_t i = (size_t)h % TABLE;; i = (i + 1) % TABLE) {
        PyObject *name = FIELD_TABLE[i].name;
        if (name == NULL) return -1;
        if (same_item(k, name)) return FIELD_TABLE[i].at;
    }
}

/* Whether reading a strike's numbers in C can be done on this route (compiled: its classes are decided
 * once; its limits are what the C path reads). Its parts dict is checked where it is read. */
static int numbers_in_c(PyObject *r) {
    PyObject *limits = SLOT(r, R_LIMITS), *classes = SLOT(r, R_CLASSES);
    return limits != NULL && PyTuple_CheckExact(limits) && PyTuple_GET_SIZE(limits) == NNUM && classes != NULL
        && classes != Py_None;
}

/* Whether the C path finishes strikes of this route: numbers_in_c, and its parts a dict. A durable
 * route's strikes go to Python. */
static int finished_in_c(PyObject *r) {
    PyObject *rparts = SLOT(r, R_PARTS);
    return numbers_in_c(r) && rparts != NULL && PyDict_CheckExact(rparts);
}

/* The route a dict's key stands for (a new reference), from _fast by the key tuple, indexed then;
 * NULL (an error maybe set) when not learnt yet or not a route the C path finishes (so the index
 * holds only routes it finishes). */
static PyObject *route_by_key(Ctx *c, PyObject *d, Py_hash_t hash, PyObject *const *items) {
    PyObject *key = PyTuple_New(1 + NKEY + NOPT), *r = NULL;
    if (key == NULL) return NULL;
    PyObject *len = PyLong_FromSsize_t(PyDict_GET_SIZE(d));
    if (len == NULL) goto done;
    PyTuple_SET_ITEM(key, 0, len);
    for (Py_ssize_t j = 0; j < NKEY; j++) {
        PyObject *x = items[1 + j];
        if (KEY_BOOL[j] && x != ABSENT && !PyBool_Check(x))
            goto done; /* 1 == True: the Python path keeps them apart */
        Py_INCREF(x);
        PyTuple_SET_ITEM(key, 1 + j, x);
    }
    for (Py_ssize_t o = 0; o < NOPT; o++) {
        Py_INCREF(items[1 + NKEY + o]);
        PyTuple_SET_ITEM(key, 1 + NKEY + o, items[1 + NKEY + o]);
    }
    r = PyDict_GetItemWithError(c->fast, key); /* borrowed; an unhashable value sets TypeError */
    if (r == NULL || (PyObject *)Py_TYPE(r) != ROUTE || !finished_in_c(r)) { /* not learnt yet, False, or durable */
        r = NULL;
        goto done;
    }
    Py_INCREF(r);
    if (hash != -1 && c->index != NULL) index_add(c->index, hash, key, r); /* runs no Python code */
done:
    Py_DECREF(key);
    return r;
}

/* The verdict of a plain dict whose key is known; NULL (an error maybe set) when the Python path must judge. */
static PyObject *from_dict(Ctx *c, PyObject *d) {
    PyObject *ckobj = NULL, *made = NULL, *result = NULL, *r = NULL;
    PyObject *xs[MAX_NUMBERS]; /* the numbers as read (references: xs[0 .. nx)) */
    Py_ssize_t nx = 0;
    PyObject *at[MAX_ALL]; /* each field's value (borrowed), NULL where the dict has none */
    PyObject *items[1 + MAX_FIELDS + MAX_NUMBERS]; /* the key's items (borrowed), as key_of makes them */
    int32_t kept_code[PARTS_KEPT];
    PyObject *kept_parts[PARTS_KEPT] = {NULL}; /* the route's parts an entry keeps (borrowed: its parts dict holds them) */
    memset(at, 0, (size_t)(NKEY + NNUM) * sizeof(PyObject *)); /* the fields there are (not all MAX_ALL) */

    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(d, &pos, &k, &v)) {
        int j = field_at(k);
        if (j < 0) return NULL; /* a field the engine does not know: the Python path words it */
        at[j] = v;
    }
    Py_ssize_t len = PyDict_GET_SIZE(d);
    items[0] = NULL; /* the length, compared by value */
    for (Py_ssize_t j = 0; j < NKEY; j++) items[1 + j] = at[j] != NULL ? at[j] : ABSENT;
    for (Py_ssize_t o = 0; o < NOPT; o++) items[1 + NKEY + o] = at[NKEY + OPT_AT[o]] != NULL ? Py_True : Py_False;
    Py_hash_t hash = c->index != NULL ? items_hash(items, len) : -1;
    if (hash != -1) {
        Entry *e = index_find(c->index, hash, items, len); /* not kept past this block */
        if (e != NULL) {
            r = e->route;
            Py_INCREF(r);
            for (int i = 0; i < PARTS_KEPT; i++) {
                kept_code[i] = e->code[i];
                kept_parts[i] = e->parts[i];
            }
        }
    }
    if (r == NULL && (r = route_by_key(c, d, hash, items)) == NULL) goto done;
    if (!numbers_in_c(r)) goto done; /* (finished_in_c was, when indexed: its parts dict is checked where read) */
    PyObject *limits = SLOT(r, R_LIMITS), *rparts = SLOT(r, R_PARTS);
    for (; nx < NNUM; nx++) {
        PyObject *x = at[NKEY + nx] != NULL ? at[NKEY + nx] : Py_None;
        if (!(NUM_OPT[nx] && x == Py_None)) {
            PyObject *limit = PyTuple_GET_ITEM(limits, nx);
            int good = 0;
            if (PyFloat_CheckExact(x)) {
                double xv = PyFloat_AS_DOUBLE(x), lv = PyFloat_AsDouble(limit);
                if (lv == -1.0 && PyErr_Occurred()) goto done;
                good = 0.0 <= xv && xv <= lv;
            }
            if (!good) { /* an int, or out of bounds: as number_of reads it */
                PyObject *y = PyObject_CallFunctionObjArgs(NUMBER_OF, x, limit, NULL);
                if (y == NULL) goto done;
                if (!PyFloat_CheckExact(y)) {
                    Py_DECREF(y);
                    goto done;
                }
                xs[nx] = y;
                continue;
            }
        }
        Py_INCREF(x);
        xs[nx] = x;
    }
    long long ck = class_code(SLOT(r, R_CUTS), SLOT(r, R_WIDTHS), xs);
    if (ck < 0) goto done;
    PyObject *parts = NULL;
    for (int i = 0; i < PARTS_KEPT && parts == NULL; i++)
        if (kept_parts[i] != NULL && kept_code[i] == ck) parts = kept_parts[i];
    if (parts == NULL) {
        if (rparts == NULL || !PyDict_CheckExact(rparts)) goto done;
        ckobj = PyLong_FromLongLong(ck);
        if (ckobj == NULL) goto done;
        parts = PyDict_GetItemWithError(rparts, ckobj);
        if (parts == NULL) {
            if (PyErr_Occurred()) goto done;
            PyObject *numbers = PyTuple_New(NNUM);
            if (numbers == NULL) goto done;
            for (Py_ssize_t i = 0; i < NNUM; i++) {
                Py_INCREF(xs[i]);
                PyTuple_SET_ITEM(numbers, i, xs[i]);
            }
            made = PyObject_CallMethodObjArgs(r, s_class_parts, ckobj, numbers, NULL);
            Py_DECREF(numbers);
            if (made == NULL) goto done;
            parts = made;
        } else if (hash != -1 && ck <= INT32_MAX) { /* found in the route's parts dict (no Python code ran): kept */
            Entry *e = index_find(c->index, hash, items, len);
            if (e != NULL && e->route == r) {
                int i = e->next;
                e->next = (i + 1) % PARTS_KEPT;
                PyObject *old = e->parts[i];
                Py_INCREF(parts);
                e->parts[i] = parts;
                e->code[i] = (int32_t)ck;
                Py_XDECREF(old); /* the route's parts dict still holds it */
            }
        }
    }
    result = verdict_new(parts, r, xs);
done:
    Py_XDECREF(r);
    Py_XDECREF(ckobj);
    Py_XDECREF(made);
    for (Py_ssize_t i = 0; i < nx; i++) Py_DECREF(xs[i]);
    return result;
}

/* The verdict of a strike validated against the engine's catalog (or its twin), of a known class;
 * NULL (an error maybe set) when the Python path must judge. */
static PyObject *from_strike(Ctx *c, PyObject *s) {
    PyObject *xs[MAX_NUMBERS];
    PyObject *p = SLOT(s, S_PRIVATE);
    if (p == NULL || !PyDict_CheckExact(p)) return NULL;
    PyObject *cat = PyDict_GetItemWithError(p, s_catalog);
    if (cat == NULL || (cat != c->catalog && cat != c->twin)) return NULL; /* another catalog: Python checks it */
    PyObject *hot = PyDict_GetItemWithError(p, s_hot);
    if (hot == NULL || !PyTuple_CheckExact(hot) || PyTuple_GET_SIZE(hot) != 2 + NNUM) return NULL;
    PyObject *b = PyTuple_GET_ITEM(hot, 0), *day = PyTuple_GET_ITEM(hot, 1);
    if ((PyObject *)Py_TYPE(b) != BASE) return NULL;
    for (Py_ssize_t i = 0; i < NNUM; i++) {
        xs[i] = PyTuple_GET_ITEM(hot, 2 + i);
        if (!(xs[i] == Py_None ? NUM_OPT[i] : PyFloat_CheckExact(xs[i]))) return NULL;
    }
    PyObject *picker = SLOT(b, B_PICKER), *serial = SLOT(b, B_SERIAL);
    if (picker == NULL || serial == NULL) return NULL;
    PyObject *per = PyDict_GetItemWithError(c->days, picker); /* no __missing__: the Python path fills it */
    if (per == NULL || !PyDict_Check(per)) return NULL;
    PyObject *dd = PyDict_GetItemWithError(per, day);
    if (dd == NULL || (PyObject *)Py_TYPE(dd) != DECIDER) return NULL;
    PyObject *classes = SLOT(dd, D_CLASSES), *span = SLOT(dd, D_SPAN);
    if (classes == NULL || !PyDict_CheckExact(classes) || span == NULL) return NULL; /* None: durable, in Python */
    long long ck = class_code(SLOT(dd, D_CUTS), SLOT(dd, D_WIDTHS), xs);
    if (ck < 0) return NULL;
    long long sp = PyLong_AsLongLong(span), se = PyLong_AsLongLong(serial);
    if (PyErr_Occurred()) return NULL;
    PyObject *ckobj = PyLong_FromLongLong(ck + se * sp);
    if (ckobj == NULL) return NULL;
    PyObject *parts = PyDict_GetItemWithError(classes, ckobj);
    Py_DECREF(ckobj);
    if (parts == NULL) return NULL; /* a class not decided yet: the Python path matches it */
    return verdict_new(parts, s, NULL);
}

static PyObject *decide(Ctx *c, PyObject *strike) {
    PyObject *v = NULL;
    PyTypeObject *t = Py_TYPE(strike);
    if (t == &PyDict_Type) v = from_dict(c, strike);
    else if ((PyObject *)t == PROPOSED) v = from_strike(c, strike);
    if (v != NULL) return v;
    PyErr_Clear(); /* whatever stopped the fast path, the Python path meets it again and words it */
    v = PyObject_CallFunctionObjArgs(FALLBACK, c->self, strike, NULL);
    if (v != NULL && t == (PyTypeObject *)PROPOSED) { /* it may have found the catalog's twin */
        PyObject *twin = PyObject_GetAttr(c->self, s_twin);
        if (twin == NULL) {
            Py_DECREF(v);
            return NULL;
        }
        Py_SETREF(c->twin, twin);
    }
    return v;
}

static int configured(void) {
    if (FALLBACK != NULL) return 1;
    PyErr_SetString(PyExc_RuntimeError, "_policyrules_speedups is not configured");
    return 0;
}

static PyObject *evaluate_meth(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    /* evaluate(strike) or evaluate(strike=...), as the Python method takes it */
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    if (nargs + nkw != 1 || (nkw == 1 && !PyUnicode_Check(PyTuple_GET_ITEM(kwnames, 0)))
        || (nkw == 1 && PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), "strike") != 0)) {
        PyErr_Format(PyExc_TypeError, "evaluate() takes one argument, strike (%zd given)", nargs + nkw);
        return NULL;
    }
    PyObject *strike = args[0];
    Ctx c = {NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    int dict = Py_TYPE(strike) == &PyDict_Type;
    if (!configured() || ctx_open(&c, self, !dict, dict) < 0) {
        ctx_close(&c);
        return NULL;
    }
    PyObject *v = decide(&c, strike);
    ctx_close(&c);
    return v;
}

/* The verdict of one strike appended to out: 0, or -1 with an error set. */
static int append_verdict(Ctx *c, PyObject *out, PyObject *item) {
    PyObject *v = decide(c, item);
    if (v == NULL) return -1;
    int r = PyList_Append(out, v);
    Py_DECREF(v);
    return r;
}

/* Ask memory for a list's strike two ahead, and for the next one's table (a dict) or private dict: a
 * strike's dict is usually far from the last one's in memory (a cache miss or more each), and the
 * work on this strike hides the wait. */
static void prefetch_ahead(PyObject *list, Py_ssize_t i) {
    Py_ssize_t n = PyList_GET_SIZE(list);
    if (i + 2 < n) __builtin_prefetch(PyList_GET_ITEM(list, i + 2));
    if (i + 1 >= n) return;
    PyObject *next = PyList_GET_ITEM(list, i + 1);
    if (PyDict_CheckExact(next)) {
        char *keys = (char *)((PyDictObject *)next)->ma_keys;
        for (int at = 0; at < 256; at += 64) __builtin_prefetch(keys + at);
    } else if ((PyObject *)Py_TYPE(next) == PROPOSED && SLOT(next, S_PRIVATE) != NULL) {
        __builtin_prefetch(SLOT(next, S_PRIVATE)); /* its private dict: catalog, and its class's parts */
    }
}

static PyObject *evaluate_into_meth(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyList_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "_evaluate_into(out: list, strikes: iterable)");
        return NULL;
    }
    Ctx c = {NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    if (!configured() || ctx_open(&c, self, 1, 1) < 0) {
        ctx_close(&c);
        return NULL;
    }
    PyObject *out = args[0], *src = args[1], *item;
    if (PyList_CheckExact(src)) { /* evaluate_many gives its own slices */
        Py_INCREF(src);
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(src); i++) {
            prefetch_ahead(src, i);
            item = PyList_GET_ITEM(src, i);
            Py_INCREF(item);
            int r = append_verdict(&c, out, item);
            Py_DECREF(item);
            if (r < 0) break;
        }
        Py_DECREF(src);
    } else {
        PyObject *it = PyObject_GetIter(src);
        while (it != NULL && (item = PyIter_Next(it)) != NULL) {
            int r = append_verdict(&c, out, item);
            Py_DECREF(item);
            if (r < 0) break;
        }
        Py_XDECREF(it);
    }
    ctx_close(&c);
    if (PyErr_Occurred()) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef BOUND[] = {
    {"evaluate", (PyCFunction)(void (*)(void))evaluate_meth, METH_FASTCALL | METH_KEYWORDS, NULL},
    {"_evaluate_into", (PyCFunction)(void (*)(void))evaluate_into_meth, METH_FASTCALL, NULL},
    {NULL, NULL, 0, NULL},
};

static Py_ssize_t slot_offset(PyObject *type, const char *name) {
    PyObject *descr = PyObject_GetAttrString(type, name);
    if (descr == NULL) return -1;
    Py_ssize_t off = -1;
    if (Py_TYPE(descr) == &PyMemberDescr_Type) {
        PyMemberDef *m = ((PyMemberDescrObject *)descr)->d_member;
        if (m->type == T_OBJECT_EX) off = m->offset;
    }
    Py_DECREF(descr);
    if (off < 0) PyErr_Format(PyExc_TypeError, "%s is not a slot", name);
    return off;
}

static int names_of(PyObject *seq, PyObject **names, int *flags, Py_ssize_t max, Py_ssize_t *n) {
    /* seq: a tuple of (name, flag) pairs, or of names when flags is NULL. */
    if (!PyTuple_Check(seq) || PyTuple_GET_SIZE(seq) > max) {
        PyErr_SetString(PyExc_ValueError, "configure: a tuple of fields, not too many");
        return -1;
    }
    *n = PyTuple_GET_SIZE(seq);
    for (Py_ssize_t i = 0; i < *n; i++) {
        PyObject *item = PyTuple_GET_ITEM(seq, i), *name = item;
        if (flags != NULL) {
            if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
                PyErr_SetString(PyExc_ValueError, "configure: (name, flag) pairs");
                return -1;
            }
            name = PyTuple_GET_ITEM(item, 0);
            flags[i] = PyObject_IsTrue(PyTuple_GET_ITEM(item, 1));
        }
        if (!PyUnicode_Check(name)) {
            PyErr_SetString(PyExc_ValueError, "configure: field names are str");
            return -1;
        }
        Py_INCREF(name);
        PyUnicode_InternInPlace(&name);
        Py_XSETREF(names[i], name);
    }
    return 0;
}

static PyObject *configure(PyObject *module, PyObject *args) {
    PyObject *absent, *verdict, *proposed, *route, *base, *decider, *fallback, *number_of, *keys, *optional, *numbers;
    if (!PyArg_ParseTuple(args, "OO!O!O!O!O!OOO!O!O!:configure", &absent, &PyType_Type, &verdict, &PyType_Type,
                          &proposed, &PyType_Type, &route, &PyType_Type, &base, &PyType_Type, &decider, &fallback,
                          &number_of,
                          &PyTuple_Type, &keys, &PyTuple_Type, &optional, &PyTuple_Type, &numbers))
        return NULL;
    enum { N = 15 };
    const char *names[N] = {"_contested", "_parts", "_strike", "limits", "classes", "cuts", "widths", "parts", "picker", "serial",
                            "_classes", "_cuts", "_widths", "_span", "__pydantic_private__"};
    PyObject *owners[N] = {verdict, verdict, verdict, route, route, route, route, route, base, base,
                           decider, decider, decider, decider, proposed};
    Py_ssize_t *slots[N] = {&OFF_CONTESTED, &OFF_PARTS, &OFF_STRIKE, &R_LIMITS, &R_CLASSES, &R_CUTS, &R_WIDTHS, &R_PARTS, &B_PICKER,
                            &B_SERIAL, &D_CLASSES, &D_CUTS, &D_WIDTHS, &D_SPAN, &S_PRIVATE};
    Py_ssize_t offsets[N];
    for (int i = 0; i < N; i++)
        if ((offsets[i] = slot_offset(owners[i], names[i])) < 0) return NULL;
    if (names_of(keys, KEY_NAMES, KEY_BOOL, MAX_FIELDS, &NKEY) < 0
        || names_of(optional, OPT_NAMES, NULL, MAX_NUMBERS, &NOPT) < 0
        || names_of(numbers, NUM_NAMES, NUM_OPT, MAX_NUMBERS, &NNUM) < 0)
        return NULL;
    /* verdict_new sets every slot of a verdict: it must have no others (nor a __dict__ or weak references) */
    if (((PyTypeObject *)verdict)->tp_basicsize != (Py_ssize_t)sizeof(PyObject) + (3 + NNUM) * (Py_ssize_t)sizeof(PyObject *)) {
        PyErr_SetString(PyExc_ValueError, "configure: the verdict type has slots other than _contested, _parts, "
                                          "_strike and one per number");
        return NULL;
    }
    Py_ssize_t off_x[MAX_NUMBERS];
    for (Py_ssize_t i = 0; i < NNUM; i++) {
        char name[16];
        snprintf(name, sizeof name, "_x%zd", i);
        if ((off_x[i] = slot_offset(verdict, name)) < 0) return NULL;
    }
    Py_ssize_t opt_at[MAX_NUMBERS];
    for (Py_ssize_t o = 0; o < NOPT; o++) {
        opt_at[o] = -1;
        for (Py_ssize_t i = 0; i < NNUM; i++)
            if (NUM_NAMES[i] == OPT_NAMES[o]) opt_at[o] = i;
        if (opt_at[o] < 0) {
            PyErr_SetString(PyExc_ValueError, "configure: an optional number is not among the numbers");
            return NULL;
        }
    }
    if (NKEY + NNUM > TABLE / 2) {
        PyErr_SetString(PyExc_ValueError, "configure: too many fields");
        return NULL;
    }
    for (int i = 0; i < TABLE; i++) Py_CLEAR(FIELD_TABLE[i].name);
    for (Py_ssize_t j = 0; j < NKEY + NNUM; j++) {
        PyObject *name = j < NKEY ? KEY_NAMES[j] : NUM_NAMES[j - NKEY];
        Py_hash_t h = PyObject_Hash(name);
        if (h == -1) return NULL;
        size_t i = (size_t)h % TABLE;
        while (FIELD_TABLE[i].name != NULL) i = (i + 1) % TABLE;
        Py_INCREF(name);
        FIELD_TABLE[i].name = name;
        FIELD_TABLE[i].hash = h;
        FIELD_TABLE[i].at = (int)j;
    }
    for (Py_ssize_t o = 0; o < NOPT; o++) OPT_AT[o] = opt_at[o];
    for (int i = 0; i < N; i++) *slots[i] = offsets[i]; /* all found: set together */
    for (Py_ssize_t i = 0; i < NNUM; i++) OFF_X[i] = off_x[i];
    PyObject *keep[8] = {absent, verdict, proposed, route, base, decider, number_of, fallback};
    PyObject **into[8] = {&ABSENT, &VERDICT, &PROPOSED, &ROUTE, &BASE, &DECIDER, &NUMBER_OF, &FALLBACK};
    for (int i = 0; i < 8; i++) {
        Py_INCREF(keep[i]);
        Py_XSETREF(*into[i], keep[i]);
    }
    Py_RETURN_NONE;
}

/* A writable, contiguous buffer of n items of itemsize bytes each (numpy's int32, float64, bool). */
static int out_buffer(PyObject *obj, Py_buffer *view, Py_ssize_t n, Py_ssize_t itemsize, const char *what) {
    if (PyObject_GetBuffer(obj, view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    if (view->itemsize != itemsize || view->len != n * itemsize) {
        PyErr_Format(PyExc_ValueError, "%s: a buffer of %zd items of %zd bytes", what, n, itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* encode_column(seq, codes) -> values | None: a list or tuple of str, bool and None dictionary-encoded
 * into codes (int32, -1 for None) in the order values are first met (the values themselves, the
 * first object of each). None, with codes half written, when any value is of another type: the
 * caller then encodes the column its general way (it keeps types apart: str and bool never equal). */
static PyObject *encode_column(PyObject *module, PyObject *args) {
    PyObject *seq, *codes_obj;
    if (!PyArg_ParseTuple(args, "OO:encode_column", &seq, &codes_obj)) return NULL;
    if (!PyList_CheckExact(seq) && !PyTuple_CheckExact(seq)) Py_RETURN_NONE;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    Py_buffer view;
    if (out_buffer(codes_obj, &view, n, sizeof(int32_t), "encode_column") < 0) return NULL;
    int32_t *codes = (int32_t *)view.buf;
    PyObject *index = PyDict_New(), *values = PyList_New(0), *result = NULL, *last = NULL;
    int32_t last_code = -1; /* last: the last value met (a reference) and its code: a run of one value skips the look-up */
    if (index == NULL || values == NULL) goto done;
    /* A collection on the way may run a finalizer, which could change the list: read its items afresh
     * and stop at its length or n, whichever is less (a list whose length changed is then not encoded). */
    for (Py_ssize_t i = 0; i < n && i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *v = PySequence_Fast_ITEMS(seq)[i];
        if (v == Py_None) {
            codes[i] = -1;
            continue;
        }
        if (v == last) {
            codes[i] = last_code;
            continue;
        }
        if (!PyUnicode_CheckExact(v) && !PyBool_Check(v)) goto other;
        Py_INCREF(v);
        Py_XSETREF(last, v);
        PyObject *code = PyDict_GetItemWithError(index, v); /* str and bool: their own hash and equality */
        if (code != NULL) {
            last_code = (int32_t)PyLong_AsLong(code);
        } else {
            if (PyErr_Occurred()) goto done;
            Py_ssize_t m = PyList_GET_SIZE(values);
            if (m >= INT32_MAX) {
                PyErr_SetString(PyExc_OverflowError, "encode_column: too many distinct values");
                goto done;
            }
            PyObject *k = PyLong_FromSsize_t(m);
            if (k == NULL) goto done;
            int bad = PyDict_SetItem(index, v, k) < 0 || PyList_Append(values, v) < 0;
            Py_DECREF(k);
            if (bad) goto done;
            last_code = (int32_t)m;
        }
        codes[i] = last_code;
    }
    if (PySequence_Fast_GET_SIZE(seq) != n) goto other;
    result = values;
    values = NULL;
    goto done;
other:
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&view);
    Py_XDECREF(last);
    Py_XDECREF(index);
    Py_XDECREF(values);
    return result;
}

/* float_column(seq, x, given) -> bool: a list or tuple of floats and None read into x (float64; NaN for
 * None) and given (bool: not None). False, with the arrays half written, when any value is of
 * another type (an int, a bool, a numpy scalar): the caller then reads the column its general way. */
static PyObject *float_column(PyObject *module, PyObject *args) {
    PyObject *seq, *x_obj, *given_obj;
    if (!PyArg_ParseTuple(args, "OOO:float_column", &seq, &x_obj, &given_obj)) return NULL;
    if (!PyList_CheckExact(seq) && !PyTuple_CheckExact(seq)) Py_RETURN_FALSE;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    Py_buffer xv, gv;
    if (out_buffer(x_obj, &xv, n, sizeof(double), "float_column") < 0) return NULL;
    if (out_buffer(given_obj, &gv, n, 1, "float_column") < 0) {
        PyBuffer_Release(&xv);
        return NULL;
    }
    double *x = (double *)xv.buf;
    char *given = (char *)gv.buf;
    int ok = 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = PySequence_Fast_ITEMS(seq)[i];
        if (PyFloat_CheckExact(v)) {
            x[i] = PyFloat_AS_DOUBLE(v);
            given[i] = 1;
        } else if (v == Py_None) {
            x[i] = Py_NAN;
            given[i] = 0;
        } else {
            ok = 0;
            break;
        }
    }
    PyBuffer_Release(&xv);
    PyBuffer_Release(&gv);
    return PyBool_FromLong(ok);
}

/* bind(cls, evaluate_doc, into_doc) -> (evaluate, _evaluate_into): method descriptors of cls. */
static PyObject *bind(PyObject *module, PyObject *args) {
    PyObject *cls;
    const char *doc0, *doc1;
    if (!PyArg_ParseTuple(args, "O!ss:bind", &PyType_Type, &cls, &doc0, &doc1)) return NULL;
    if (BOUND[0].ml_doc == NULL) { /* once: the docs live as long as the process */
        BOUND[0].ml_doc = strdup(doc0);
        BOUND[1].ml_doc = strdup(doc1);
        if (BOUND[0].ml_doc == NULL || BOUND[1].ml_doc == NULL) return PyErr_NoMemory();
    }
    PyObject *a = PyDescr_NewMethod((PyTypeObject *)cls, &BOUND[0]);
    PyObject *b = a == NULL ? NULL : PyDescr_NewMethod((PyTypeObject *)cls, &BOUND[1]);
    if (b == NULL) {
        Py_XDECREF(a);
        return NULL;
    }
    return Py_BuildValue("(NN)", a, b);
}

static PyMethodDef METHODS[] = {
    {"configure", configure, METH_VARARGS,
     "configure(absent, Verdict, ProposedStrike, Route, Base, RuleSetDecider, python_evaluate, number_of, keys, optional, numbers)"},
    {"bind", bind, METH_VARARGS, "bind(cls, evaluate_doc, into_doc) -> (evaluate, _evaluate_into)"},
    {"encode_column", encode_column, METH_VARARGS, "encode_column(seq, codes) -> values | None"},
    {"float_column", float_column, METH_VARARGS, "float_column(seq, x, given) -> bool"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "_policyrules_speedups",
                                    "The evaluate hot paths of policyrules in C (policyrules.deciding.speedups).",
                                    -1, METHODS, NULL, NULL, NULL, NULL};

#define INTERN(var, text) \
    if ((var = PyUnicode_InternFromString(text)) == NULL) return NULL;

PyMODINIT_FUNC PyInit__policyrules_speedups(void) {
    INTERN(s_fast, "_fast");
    INTERN(s_days, "_days");
    INTERN(s_catalog, "_catalog");
    INTERN(s_twin, "_twin");
    INTERN(s_class_parts, "class_parts");
    INTERN(s_hot, "_hot");
    INTERN(s_index, "_c_index");
    if (PyType_Ready(&IndexType) < 0) return NULL;
    PyObject *m = PyModule_Create(&MODULE);
    if (m == NULL) return NULL;
    if (PyModule_AddIntConstant(m, "VERSION", SPEEDUPS_VERSION) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
