// Converge's implementation of `convex/values`: the value model in JavaScript, its JSON form
// (convex_encoded_json, docs/values-and-ids.md), the total order, validators and ConvexError.

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

export function bytesToBase64(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i], b = bytes[i + 1], c = bytes[i + 2];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += BASE64[(n >> 18) & 63] + BASE64[(n >> 12) & 63];
    out += b === undefined ? "=" : BASE64[(n >> 6) & 63];
    out += c === undefined ? "=" : BASE64[n & 63];
  }
  return out;
}

export function base64ToBytes(text) {
  if (text.length % 4 !== 0) throw new Error(`Invalid base64 string: ${text}`);
  const clean = text.replace(/=+$/, "");
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0, value = 0, j = 0;
  for (const ch of clean) {
    const d = BASE64.indexOf(ch);
    if (d < 0) throw new Error(`Invalid base64 string: ${text}`);
    value = (value << 6) | d;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (value >> bits) & 0xff;
    }
  }
  return out;
}

function int64ToBase64(big) {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigInt64(0, big, true);
  return bytesToBase64(bytes);
}

function float64ToBase64(n) {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, n, true);
  return bytesToBase64(bytes);
}

const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;

function isSpecialFloat(n) {
  return Number.isNaN(n) || !Number.isFinite(n) || Object.is(n, -0);
}

function validateFieldName(name, context) {
  if (typeof name !== "string") throw new Error(`Invalid field name ${String(name)}${context}`);
  if (name.startsWith("$")) throw new Error(`Field name ${name} starts with a '$', which is reserved.${context}`);
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) throw new Error(`Field name ${name} has invalid character '${name[i]}': Field names can only contain non-control ASCII characters${context}`);
  }
}

function describePath(path) {
  return path ? ` Path: ${path}` : "";
}

/** JavaScript value → convex_encoded_json. Rejects what Convex rejects, naming where. */
export function convexToJson(value, path = "") {
  if (value === null) return null;
  switch (typeof value) {
    case "bigint":
      if (value < MIN_INT64 || value > MAX_INT64) throw new Error(`BigInt ${value} does not fit into a 64-bit signed integer.${describePath(path)}`);
      return { $integer: int64ToBase64(value) };
    case "number":
      return isSpecialFloat(value) ? { $float: float64ToBase64(value) } : value;
    case "boolean":
    case "string":
      return value;
    case "undefined":
      throw new Error(`undefined is not a valid Convex value (present at path ${path || "."}). To learn about Convex's supported types, see https://docs.convex.dev/using/types.`);
  }
  if (value instanceof ArrayBuffer) return { $bytes: bytesToBase64(new Uint8Array(value)) };
  if (ArrayBuffer.isView(value)) return { $bytes: bytesToBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) };
  if (Array.isArray(value)) return value.map((item, i) => convexToJson(item, `${path}[${i}]`));
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== null && proto !== Object.prototype) {
      throw new Error(`${value.constructor?.name ?? "Object"} ${String(value)} is not a supported Convex type (present at path ${path || "."}).`);
    }
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      validateFieldName(k, describePath(path));
      out[k] = convexToJson(v, `${path}.${k}`);
    }
    return out;
  }
  throw new Error(`${typeof value} is not a supported Convex type (present at path ${path || "."}).`);
}

/** convex_encoded_json → JavaScript value. */
export function jsonToConvex(json) {
  if (json === null || typeof json !== "object") return json;
  if (Array.isArray(json)) return json.map(jsonToConvex);
  const keys = Object.keys(json);
  if (keys.length === 1 && keys[0].startsWith("$")) {
    const payload = json[keys[0]];
    switch (keys[0]) {
      case "$integer": return new DataView(base64ToBytes(payload).buffer).getBigInt64(0, true);
      case "$float": return new DataView(base64ToBytes(payload).buffer).getFloat64(0, true);
      case "$bytes": return base64ToBytes(payload).buffer;
    }
  }
  const out = {};
  for (const k of keys) out[k] = jsonToConvex(json[k]);
  return out;
}

// Convex's total order (docs/values-and-ids.md, Total order): undefined < null < int64 < float64 < boolean < string < bytes < array < object.
function typeRank(v) {
  if (v === undefined) return 0;
  if (v === null) return 1;
  switch (typeof v) {
    case "bigint": return 2;
    case "number": return 3;
    case "boolean": return 4;
    case "string": return 5;
  }
  if (v instanceof ArrayBuffer) return 6;
  if (Array.isArray(v)) return 7;
  return 8;
}

function compareStrings(a, b) {
  // Byte order of UTF-8, which is code point order (not UTF-16 order).
  const ia = a[Symbol.iterator](), ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next(), y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0), cy = y.value.codePointAt(0);
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

function floatKey(n) {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, n);
  const bits = view.getBigUint64(0);
  return bits & (1n << 63n) ? ~bits & ((1n << 64n) - 1n) : bits | (1n << 63n);
}

export function compareValues(a, b) {
  const ra = typeRank(a), rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0: case 1: return 0;
    case 2: return a === b ? 0 : a < b ? -1 : 1;
    case 3: { const ka = floatKey(a), kb = floatKey(b); return ka === kb ? 0 : ka < kb ? -1 : 1; }
    case 4: return a === b ? 0 : a ? 1 : -1;
    case 5: return compareStrings(a, b);
    case 6: {
      const x = new Uint8Array(a), y = new Uint8Array(b);
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
      return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
    }
    case 7: {
      for (let i = 0; i < Math.min(a.length, b.length); i++) { const c = compareValues(a[i], b[i]); if (c) return c; }
      return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
    }
    default: {
      const ka = Object.keys(a).filter((k) => a[k] !== undefined).sort(compareStrings);
      const kb = Object.keys(b).filter((k) => b[k] !== undefined).sort(compareStrings);
      for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
        const c = compareStrings(ka[i], kb[i]) || compareValues(a[ka[i]], b[kb[i]]);
        if (c) return c;
      }
      return ka.length === kb.length ? 0 : ka.length < kb.length ? -1 : 1;
    }
  }
}

// MARK: ConvexError

export class ConvexError extends Error {
  constructor(data) {
    super(typeof data === "string" ? data : stringifyForMessage(data));
    this.name = "ConvexError";
    this.data = data;
  }
}
Object.defineProperty(ConvexError.prototype, Symbol.for("ConvexError"), { value: true });

// A ConvexError's message is its data as JSON with bigints written `2n` and undefined spelt out, as
// the convex package writes it; long data is cut at 16 KiB.
function stringifyForMessage(data) {
  let text;
  try {
    text = JSON.stringify(data, (_, value) => (value === undefined ? "undefined" : typeof value === "bigint" ? `${value}n` : value));
  } catch {
    return String(data);
  }
  const limit = 16384;
  if (text.length <= limit) return text;
  const rest = "[...truncated]";
  let end = limit - rest.length;
  if ((text.codePointAt(end - 1) ?? 0) > 0xffff) end -= 1;
  return text.substring(0, end) + rest;
}

// MARK: Validators

class Validator {
  constructor(kind, props = {}) {
    this.kind = kind;
    this.isOptional = "required";
    Object.assign(this, props);
  }
  get isConvexValidator() { return true; }
}

function optionalOf(validator) {
  const copy = Object.assign(Object.create(Object.getPrototypeOf(validator)), validator);
  copy.isOptional = "optional";
  return copy;
}

export const v = {
  id: (tableName) => new Validator("id", { tableName }),
  null: () => new Validator("null"),
  number: () => new Validator("float64"),
  float64: () => new Validator("float64"),
  bigint: () => new Validator("int64"),
  int64: () => new Validator("int64"),
  boolean: () => new Validator("boolean"),
  string: () => new Validator("string"),
  bytes: () => new Validator("bytes"),
  literal: (value) => new Validator("literal", { value }),
  array: (element) => new Validator("array", { element }),
  object: (fields) => new Validator("object", { fields }),
  record: (key, value) => new Validator("record", { key, value }),
  union: (...members) => new Validator("union", { members }),
  any: () => new Validator("any"),
  optional: (validator) => optionalOf(validator),
  nullable: (validator) => new Validator("union", { members: [validator, new Validator("null")] }),
};

/** Convex's JSON form of a validator (function and schema metadata). */
export function validatorJson(validator) {
  const field = (fv) => ({ fieldType: validatorJson(fv), optional: fv.isOptional === "optional" });
  switch (validator.kind) {
    case "float64": return { type: "number" };
    case "int64": return { type: "bigint" };
    case "literal": return { type: "literal", value: convexToJson(validator.value) };
    case "id": return { type: "id", tableName: validator.tableName };
    case "array": return { type: "array", value: validatorJson(validator.element) };
    case "record": return { type: "record", keys: validatorJson(validator.key), values: field(validator.value) };
    case "union": return { type: "union", value: validator.members.map(validatorJson) };
    case "object": return { type: "object", value: Object.fromEntries(Object.entries(validator.fields).map(([k, fv]) => [k, field(fv)])) };
    default: return { type: validator.kind };
  }
}

export function asObjectValidator(obj) {
  if (obj === undefined) return undefined;
  if (obj instanceof Validator) return obj;
  return v.object(obj);
}

/** A value as Convex's error messages show it: `{body: "x", n: 1.0}`, floats always with a fraction. */
function describeValue(value) {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "number") return Number.isInteger(value) ? value.toFixed(1) : String(value);
  if (typeof value === "bigint") return `${value}`;
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "boolean") return String(value);
  if (value instanceof ArrayBuffer) return `b"${[...new Uint8Array(value)].map((b) => b.toString(16).padStart(2, "0")).join("")}"`;
  if (Array.isArray(value)) return `[${value.map(describeValue).join(", ")}]`;
  if (typeof value === "object") {
    return `{${Object.entries(value).filter(([, x]) => x !== undefined).map(([k, x]) => `${k}: ${describeValue(x)}`).join(", ")}}`;
  }
  return String(value);
}

/** A validator as Convex's error messages show it: `v.object({body: v.string(), n: v.optional(v.float64())})`. */
export function describeValidator(validator) {
  const inner = (() => {
    switch (validator.kind) {
      case "id": return `v.id(${JSON.stringify(validator.tableName)})`;
      case "literal": return `v.literal(${describeValue(validator.value)})`;
      case "array": return `v.array(${describeValidator(validator.element)})`;
      case "record": return `v.record(${describeValidator(validator.key)}, ${describeValidator(validator.value)})`;
      case "union": return `v.union(${validator.members.map(describeValidator).join(", ")})`;
      case "object": return `v.object({${Object.entries(validator.fields).map(([k, f]) => `${k}: ${describeValidator(f)}`).join(", ")}})`;
      default: return `v.${validator.kind}()`;
    }
  })();
  return validator.isOptional === "optional" ? `v.optional(${inner})` : inner;
}

/**
 * Checks `value` against `validator`; returns an error message naming the path of the bad field, or null.
 * `isTableId(id, table)` answers whether a string is an ID of that table.
 */
export function validateValue(validator, value, path, isTableId) {
  const at = path ? ` at path .${path}` : "";
  switch (validator.kind) {
    case "any": return null;
    case "null": return value === null ? null : mismatch(validator, value, path);
    case "float64": return typeof value === "number" ? null : mismatch(validator, value, path);
    case "int64": return typeof value === "bigint" ? null : mismatch(validator, value, path);
    case "boolean": return typeof value === "boolean" ? null : mismatch(validator, value, path);
    case "string": return typeof value === "string" ? null : mismatch(validator, value, path);
    case "bytes": return value instanceof ArrayBuffer ? null : mismatch(validator, value, path);
    case "literal":
      return compareValues(value, validator.value) === 0 && typeof value === typeof validator.value
        ? null : `\`${describeValue(value)}\` does not match literal validator \`${describeValidator(validator)}\`.${at}`;
    case "id":
      return typeof value === "string" && isTableId(value, validator.tableName) ? null : mismatch(validator, value, path, `v.id("${validator.tableName}")`);
    case "array": {
      if (!Array.isArray(value)) return mismatch(validator, value, path);
      for (let i = 0; i < value.length; i++) {
        const e = validateValue(validator.element, value[i], `${path}[${i}]`, isTableId);
        if (e) return e;
      }
      return null;
    }
    case "record": {
      if (!isPlainObject(value)) return mismatch(validator, value, path);
      for (const [k, item] of Object.entries(value)) {
        const ek = validateValue(validator.key, k, path ? `${path}.${k}` : k, isTableId);
        if (ek) return ek;
        const ev = validateValue(validator.value, item, path ? `${path}.${k}` : k, isTableId);
        if (ev) return ev;
      }
      return null;
    }
    case "object": {
      if (!isPlainObject(value)) return mismatch(validator, value, path);
      for (const [k, fieldValidator] of Object.entries(validator.fields)) {
        const fieldPath = path ? `${path}.${k}` : k;
        if (value[k] === undefined) {
          if (fieldValidator.isOptional === "optional") continue;
          return `Object is missing the required field \`${k}\`. Consider wrapping the field validator in \`v.optional(...)\` if this is expected.\n\nObject: ${describeValue(value)}\nValidator: ${describeValidator(validator)}${at}`;
        }
        const e = validateValue(fieldValidator, value[k], fieldPath, isTableId);
        if (e) return e;
      }
      for (const k of Object.keys(value)) {
        if (value[k] !== undefined && !Object.hasOwn(validator.fields, k)) {
          return `Object contains extra field \`${k}\` that is not in the validator.\n\nObject: ${describeValue(value)}\nValidator: ${describeValidator(validator)}${at}`;
        }
      }
      return null;
    }
    case "union": {
      for (const member of validator.members) if (!validateValue(member, value, path, isTableId)) return null;
      return mismatch(validator, value, path);
    }
  }
  return `Unknown validator kind ${validator.kind}`;
}

/** The message for a value of the wrong kind; `expected` is the validator as the message shows it. */
function mismatch(validator, value, path, expected = describeValidator(validator)) {
  return `Value does not match validator.\nPath: ${path ? "." + path : "."}\nValue: ${describeValue(value)}\nValidator: ${expected}`;
}

/** An object of fields: not null, an array or bytes. */
function isPlainObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof ArrayBuffer);
}
