// zod's parse of a valid runbook, done without zod's bookkeeping: for each object zod runs every key of its shape
// (a check has twenty, most of them absent) with a fresh payload and issues list, which is most of what checking a
// runbook costs. This walks the same schema (its definitions: the schema is still defined once, in schema.ts) and
// gives zod's own output for a value it is sure of; for anything else (any mistake, any construct or check it does not
// know) it says so, and the caller asks zod, which also says what is wrong and where.
//
// It must give exactly what zod gives, key order included, or nothing: test/fast-parse.test.ts holds it to that over
// every runbook, manual and fixture in the repository and thousands of seeded mutations of them.
import type { z } from 'zod';

/** What a plan returns for a value it is not sure of. */
const UNSURE: unique symbol = Symbol('unsure');
type Plan = (value: unknown) => unknown;

interface Def {
  type: string;
  checks?: { _zod: { def: CheckDef } }[];
  [k: string]: unknown;
}
interface CheckDef {
  check: string;
  [k: string]: unknown;
}
interface Internals {
  def: Def;
  values?: Set<unknown>;
  optin?: string;
  optout?: string;
  innerType?: z.ZodType;
}

const internals = (s: unknown): Internals => (s as { _zod: Internals })._zod;
const plans = new WeakMap<object, Plan>();

/** The schema's output for `value`, as zod's safeParse would give it on success; undefined when zod must decide. */
export function fastParse<T extends z.ZodType>(schema: T, value: unknown): { data: z.output<T> } | undefined {
  const out = planOf(schema)(value);
  return out === UNSURE ? undefined : { data: out as z.output<T> };
}

function planOf(schema: z.ZodType): Plan {
  let plan = plans.get(schema);
  if (!plan) {
    // A lazy schema (a recursive one) refers to itself: the entry is there before its plan is made.
    let made: Plan | undefined;
    plans.set(schema, (v) => made!(v));
    made = makePlan(schema);
    plans.set(schema, made);
    plan = made;
  }
  return plan;
}

/** zod itself, for one node: its output on success. */
function byZod(schema: z.ZodType): Plan {
  return (v) => {
    const r = schema.safeParse(v);
    return r.success ? r.data : UNSURE;
  };
}

function makePlan(schema: z.ZodType): Plan {
  const zod = internals(schema);
  const def = zod.def;
  switch (def.type) {
    case 'string':
      return leaf(schema, (v) => typeof v === 'string');
    case 'number':
      return leaf(schema, (v) => typeof v === 'number' && Number.isFinite(v));
    case 'boolean':
      return leaf(schema, (v) => typeof v === 'boolean');
    case 'null':
      return leaf(schema, (v) => v === null);
    case 'enum':
    case 'literal': {
      const values = zod.values;
      if (!values) return byZod(schema);
      return leaf(schema, (v) => values.has(v));
    }
    case 'optional':
      // At an object's key, absence is handled there; anywhere else undefined is not a value YAML gives.
      return planOf(def.innerType as z.ZodType);
    case 'default': {
      const inner = planOf(def.innerType as z.ZodType);
      return (v) => (v === undefined ? UNSURE : inner(v));
    }
    case 'lazy':
      return (v) => planOf(zod.innerType!)(v);
    case 'union': {
      const options = (def.options as z.ZodType[]).map(planOf);
      // zod runs every option and takes the first that has no issues.
      return (v) => {
        for (const o of options) {
          const out = o(v);
          if (out !== UNSURE) return out;
        }
        return UNSURE;
      };
    }
    case 'array':
      return arrayPlan(schema, def);
    case 'object':
      return objectPlan(schema, def);
    case 'record':
      return recordPlan(schema, def);
    default:
      return byZod(schema);
  }
}

/** A scalar: its type, then its checks; one check this does not know, and zod decides. */
function leaf(schema: z.ZodType, isType: (v: unknown) => boolean): Plan {
  const def = internals(schema).def;
  const checks = (def.checks ?? []).map((c) => checkOf(c._zod.def));
  if ((def as { coerce?: boolean }).coerce || (def as { format?: unknown }).format !== undefined || checks.includes(undefined)) return byZod(schema);
  const all = checks as ((v: unknown) => boolean)[];
  return (v) => {
    if (!isType(v)) return UNSURE;
    for (const c of all) if (!c(v)) return UNSURE;
    return v;
  };
}

/** A check on a string, number or array that passes (true) exactly when zod's passes; undefined for one it does not know. */
function checkOf(c: CheckDef): ((v: unknown) => boolean) | undefined {
  if ((c as { when?: unknown }).when !== undefined && !['min_length', 'max_length', 'length_equals'].includes(c.check)) return undefined;
  switch (c.check) {
    case 'min_length': {
      const min = c.minimum as number;
      // zod counts a string's code points: sure either way only where UTF-16 units cannot change the answer.
      return (v) => {
        const n = (v as string | unknown[]).length;
        if (typeof v !== 'string' || min <= 1) return n >= min;
        return n >= 2 * min;
      };
    }
    case 'max_length': {
      const max = c.maximum as number;
      return (v) => (v as string | unknown[]).length <= max;
    }
    case 'length_equals': {
      const len = c.length as number;
      return (v) => typeof v !== 'string' && (v as unknown[]).length === len;
    }
    case 'string_format': {
      if (c.format !== 'regex') return undefined;
      const pattern = c.pattern as RegExp;
      return (v) => {
        pattern.lastIndex = 0;
        return pattern.test(v as string);
      };
    }
    case 'greater_than': {
      const value = c.value;
      const inclusive = c.inclusive === true;
      if (typeof value !== 'number') return undefined;
      return (v) => (inclusive ? (v as number) >= value : (v as number) > value);
    }
    case 'less_than': {
      const value = c.value;
      const inclusive = c.inclusive === true;
      if (typeof value !== 'number') return undefined;
      return (v) => (inclusive ? (v as number) <= value : (v as number) < value);
    }
    case 'number_format':
      return c.format === 'safeint' ? (v) => Number.isSafeInteger(v) : undefined;
    default:
      return undefined;
  }
}

function arrayPlan(schema: z.ZodType, def: Def): Plan {
  const element = planOf(def.element as z.ZodType);
  const checks = (def.checks ?? []).map((c) => checkOf(c._zod.def));
  if (checks.includes(undefined)) return byZod(schema);
  const all = checks as ((v: unknown) => boolean)[];
  return (v) => {
    if (!Array.isArray(v)) return UNSURE;
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) {
      if (!(i in v)) return UNSURE;
      const e = element(v[i]);
      if (e === UNSURE || e === undefined) return UNSURE;
      out[i] = e;
    }
    for (const c of all) if (!c(v)) return UNSURE;
    return out;
  };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** An object: its keys in the shape's order (zod's output order), a default for an absent defaulted key. */
function objectPlan(schema: z.ZodType, def: Def): Plan {
  const catchall = def.catchall as z.ZodType | undefined;
  const strict = catchall !== undefined && internals(catchall).def.type === 'never';
  if ((catchall && !strict) || (def.checks ?? []).length) return byZod(schema);
  const shape = def.shape as Record<string, z.ZodType>;
  const keys = Object.keys(shape);
  const known = new Set(keys);
  const fields = keys.map((key) => {
    const el = internals(shape[key]);
    const kind = el.def.type === 'default' ? 'default' : el.def.type === 'optional' && el.optin === 'optional' && el.optout === 'optional' ? 'optional' : 'required';
    return { key, kind, schema: shape[key]!, plan: planOf(shape[key]!) };
  });
  return (v) => {
    if (!isPlainObject(v)) return UNSURE;
    if (strict) for (const k in v) if (!known.has(k)) return UNSURE;
    const out: Record<string, unknown> = {};
    for (const f of fields) {
      if (!Object.hasOwn(v, f.key)) {
        if (f.kind === 'optional') continue;
        if (f.kind !== 'default') return UNSURE;
        // zod's own default: the schema's getter gives a fresh copy each time.
        out[f.key] = internals(f.schema).def.defaultValue;
        continue;
      }
      const value = v[f.key];
      if (value === undefined) return UNSURE;
      const r = f.plan(value);
      if (r === UNSURE || r === undefined) return UNSURE;
      out[f.key] = r;
    }
    return out;
  };
}

/** A record: every key a string its key schema takes unchanged, every value its value schema's output. */
function recordPlan(schema: z.ZodType, def: Def): Plan {
  const keyPlan = planOf(def.keyType as z.ZodType);
  const valuePlan = planOf(def.valueType as z.ZodType);
  if ((def as { mode?: string }).mode === 'loose' || (def.checks ?? []).length) return byZod(schema);
  const values = internals(def.keyType).values;
  // A key schema with a fixed set of keys (an enum) wants them all, unless the record is partial.
  if (values && !def.partial) return byZod(schema);
  return (v) => {
    if (!isPlainObject(v)) return UNSURE;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v)) {
      // Numeric keys come first in any object's key order, and zod retries them as numbers: left to zod.
      if (key === '__proto__' || /^\d/.test(key) || keyPlan(key) !== key) return UNSURE;
      const r = valuePlan(v[key]);
      if (r === UNSURE || r === undefined) return UNSURE;
      out[key] = r;
    }
    return Object.getOwnPropertySymbols(v).length ? UNSURE : out;
  };
}
