// Converge's implementation of `convex/server`: function definitions, the `ctx` objects and the
// database API, run inside JavaScriptCore. Every database call goes to the host (Swift) through
// `globalThis.__convergeHost`, as JSON in `convex_encoded_json` form.

import { ConvexError, convexToJson, jsonToConvex, compareValues, validateValue, validatorJson, asObjectValidator, v } from "./values.js";
import { RequestImpl, ResponseImpl } from "./web.js";

export { v, ConvexError };

const host = () => globalThis.__convergeHost;

async function call(op, args) {
  let reply;
  try {
    reply = await host().call(op, JSON.stringify(convexToJson(args)));
  } catch (error) {
    // A ConvexError thrown by a function an action called keeps its data across the host boundary.
    throw convexErrorOf(error);
  }
  return jsonToConvex(JSON.parse(reply));
}

function callSync(op, args) {
  let reply;
  try {
    reply = host().callSync(op, JSON.stringify(convexToJson(args)));
  } catch (error) {
    throw convexErrorOf(error, true);
  }
  return jsonToConvex(JSON.parse(reply));
}

/**
 * A host error that carries ConvexError data (see `HostError`) as a `ConvexError`. A function's own
 * ConvexError (from one an action called) keeps the message its data gives it; the host's own errors
 * keep theirs.
 */
function convexErrorOf(error, keepMessage = false) {
  if (!error || typeof error.convexErrorData !== "string") return error;
  const convexError = new ConvexError(jsonToConvex(JSON.parse(error.convexErrorData)));
  if (keepMessage) convexError.message = error.message;
  return convexError;
}

// MARK: Function definitions

function define(kind, visibility, definition) {
  const spec = typeof definition === "function" ? { handler: definition } : definition;
  if (typeof spec?.handler !== "function") throw new Error(`${kind} needs a handler function`);
  const fn = (ctx, args) => spec.handler(ctx, args);
  Object.assign(fn, {
    isConvexFunction: true,
    isQuery: kind === "query",
    isMutation: kind === "mutation",
    isAction: kind === "action",
    isPublic: visibility === "public",
    isInternal: visibility === "internal",
    convergeKind: kind,
    argsValidator: asObjectValidator(spec.args),
    returnsValidator: spec.returns,
    handler: spec.handler,
  });
  return fn;
}

export const queryGeneric = (d) => define("query", "public", d);
export const mutationGeneric = (d) => define("mutation", "public", d);
export const actionGeneric = (d) => define("action", "public", d);
export const internalQueryGeneric = (d) => define("query", "internal", d);
export const internalMutationGeneric = (d) => define("mutation", "internal", d);
export const internalActionGeneric = (d) => define("action", "internal", d);

export function httpActionGeneric(handler) {
  const fn = (ctx, request) => handler(ctx, request);
  Object.assign(fn, { isConvexFunction: true, isHttp: true, convergeKind: "httpAction", handler });
  return fn;
}

// MARK: Schema (read at push time; at run time these are plain descriptions)

export function defineTable(documentSchema) {
  const table = {
    documentType: asObjectValidator(documentSchema),
    indexes: [],
    searchIndexes: [],
    vectorIndexes: [],
    index(name, fields) { this.indexes.push({ indexDescriptor: name, fields }); return this; },
    searchIndex(name, config) { this.searchIndexes.push({ indexDescriptor: name, ...config }); return this; },
    vectorIndex(name, config) { this.vectorIndexes.push({ indexDescriptor: name, ...config }); return this; },
  };
  return table;
}

export function defineSchema(tables, options = {}) {
  return { tables, schemaValidation: options.schemaValidation ?? true, strictTableNameTypes: options.strictTableNameTypes ?? true };
}

// MARK: Function references

const functionName = Symbol.for("functionName");

function makeApi(prefix) {
  return new Proxy({}, {
    get(_, prop) {
      if (typeof prop !== "string") return prop === functionName ? referenceName(prefix) : undefined;
      return makeApi([...prefix, prop]);
    },
  });
}

function referenceName(parts) {
  if (parts.length < 2) throw new Error(`API path is expected to be of the form \`api.moduleName.functionName\`. Found: \`api.${parts.join(".")}\``);
  return `${parts.slice(0, -1).join("/")}:${parts[parts.length - 1]}`;
}

export const anyApi = makeApi([]);

export function makeFunctionReference(name) {
  return { [functionName]: name };
}

export function getFunctionName(reference) {
  if (typeof reference === "string") return reference;
  const name = reference?.[functionName];
  if (!name) throw new Error(`${String(reference)} is not a functionReference`);
  return name;
}

export function componentsGeneric() {
  return makeApi([]);
}

export const paginationOptsValidator = v.object({
  numItems: v.number(),
  cursor: v.union(v.string(), v.null()),
  endCursor: v.optional(v.union(v.string(), v.null())),
  id: v.optional(v.number()),
  maximumRowsRead: v.optional(v.number()),
  maximumBytesRead: v.optional(v.number()),
});

// Routers and crons are described here and served by the coordinator.
export function httpRouter() {
  return {
    routes: [],
    isRouter: true,
    route(spec) { this.routes.push(spec); },
  };
}

export function cronJobs() {
  return {
    crons: {},
    isCrons: true,
    interval(name, schedule, fn, args) { this.crons[name] = { name: getFunctionName(fn), args: [args ?? {}], schedule: { type: "interval", ...schedule } }; },
    cron(name, cron, fn, args) { this.crons[name] = { name: getFunctionName(fn), args: [args ?? {}], schedule: { type: "cron", cron } }; },
    hourly(name, schedule, fn, args) { this.crons[name] = { name: getFunctionName(fn), args: [args ?? {}], schedule: { type: "hourly", ...schedule } }; },
    daily(name, schedule, fn, args) { this.crons[name] = { name: getFunctionName(fn), args: [args ?? {}], schedule: { type: "daily", ...schedule } }; },
    weekly(name, schedule, fn, args) { this.crons[name] = { name: getFunctionName(fn), args: [args ?? {}], schedule: { type: "weekly", ...schedule } }; },
    monthly(name, schedule, fn, args) { this.crons[name] = { name: getFunctionName(fn), args: [args ?? {}], schedule: { type: "monthly", ...schedule } }; },
  };
}

// MARK: The database

function isTableId(id, table) {
  return callSync("normalizeId", { table, id }) !== null;
}

function splitTableArgument(args, arity) {
  // db.get(id) or db.get("table", id): the table form has one more argument.
  if (args.length > arity && typeof args[0] === "string" && typeof args[1] === "string") {
    return { table: args[0], rest: args.slice(1) };
  }
  return { table: undefined, rest: args };
}

function checkIdTable(table, id) {
  if (table !== undefined && !isTableId(id, table)) throw new Error(`Invalid argument \`id\` for \`db.get\`: ID "${id}" is not an ID of table "${table}"`);
}

class IndexRangeBuilder {
  constructor() { this.ops = []; }
  eq(field, value) { this.ops.push({ op: "eq", field, value }); return this; }
  gt(field, value) { this.ops.push({ op: "gt", field, value }); return this; }
  gte(field, value) { this.ops.push({ op: "gte", field, value }); return this; }
  lt(field, value) { this.ops.push({ op: "lt", field, value }); return this; }
  lte(field, value) { this.ops.push({ op: "lte", field, value }); return this; }
}

function fieldOf(doc, path) {
  let current = doc;
  for (const part of path.split(".")) {
    if (current === null || typeof current !== "object" || Array.isArray(current)) return undefined;
    current = current[part];
  }
  return current;
}

// A filter expression: evaluates against a document, and describes itself for a page cursor's
// fingerprint (a cursor of a query with another filter is of another query).
class Expression {
  constructor(op, operands, evaluateOn) {
    Object.assign(this, { op, operands, evaluateOn });
  }
}

const binary = (op, f) => (a, b) => new Expression(op, [a, b], (doc) => f(evaluate(a, doc), evaluate(b, doc)));

const filterBuilder = {
  field: (path) => new Expression("field", [path], (doc) => fieldOf(doc, path)),
  eq: binary("eq", (x, y) => compareValues(x, y) === 0),
  neq: binary("neq", (x, y) => compareValues(x, y) !== 0),
  lt: binary("lt", (x, y) => compareValues(x, y) < 0),
  lte: binary("lte", (x, y) => compareValues(x, y) <= 0),
  gt: binary("gt", (x, y) => compareValues(x, y) > 0),
  gte: binary("gte", (x, y) => compareValues(x, y) >= 0),
  and: (...xs) => new Expression("and", xs, (doc) => xs.every((x) => evaluate(x, doc) === true)),
  or: (...xs) => new Expression("or", xs, (doc) => xs.some((x) => evaluate(x, doc) === true)),
  not: (x) => new Expression("not", [x], (doc) => evaluate(x, doc) !== true),
  add: binary("add", (x, y) => arithmetic(x, y, (a, b) => a + b)),
  sub: binary("sub", (x, y) => arithmetic(x, y, (a, b) => a - b)),
  mul: binary("mul", (x, y) => arithmetic(x, y, (a, b) => a * b)),
  div: binary("div", (x, y) => arithmetic(x, y, (a, b) => a / b)),
  mod: binary("mod", (x, y) => arithmetic(x, y, (a, b) => a % b)),
  neg: (a) => new Expression("neg", [a], (doc) => { const x = evaluate(a, doc); return typeof x === "number" || typeof x === "bigint" ? -x : undefined; }),
};

function evaluate(expression, doc) {
  return expression instanceof Expression ? expression.evaluateOn(doc) : expression;
}

/** An expression or a literal value as JSON, for fingerprints. */
function describe(expression) {
  if (expression instanceof Expression) {
    return { op: expression.op, operands: expression.op === "field" ? expression.operands : expression.operands.map(describe) };
  }
  return expression === undefined ? { undefined: true } : { literal: convexToJson(expression) };
}

function arithmetic(x, y, f) {
  if (typeof x !== typeof y || (typeof x !== "number" && typeof x !== "bigint")) {
    throw new Error(`Arithmetic needs two numbers or two bigints, got ${typeof x} and ${typeof y}`);
  }
  return f(x, y);
}

const PAGE_SIZE = 100;

class Query {
  constructor(table, index = "by_creation_time", range = [], order = "asc", filters = []) {
    Object.assign(this, { table, index, range, orderValue: order, filters, consumed: false });
  }

  fullTableScan() { return new Query(this.table, "by_creation_time", [], this.orderValue, this.filters); }

  withIndex(name, rangeFn) {
    const builder = new IndexRangeBuilder();
    if (rangeFn) rangeFn(builder);
    return new Query(this.table, name, builder.ops, this.orderValue, this.filters);
  }

  withSearchIndex() { throw new Error("Search indexes are not supported by Converge yet"); }

  order(order) {
    if (order !== "asc" && order !== "desc") throw new Error(`order must be "asc" or "desc", got ${String(order)}`);
    return new Query(this.table, this.index, this.range, order, this.filters);
  }

  filter(predicate) {
    return new Query(this.table, this.index, this.range, this.orderValue, [...this.filters, predicate(filterBuilder)]);
  }

  matches(doc) {
    return this.filters.every((f) => evaluate(f, doc) === true);
  }

  /** One batch of the index range after the key `after`, through the key `through` (both optional). */
  async fetchBatch(after, limit, through = null) {
    const range = this.range.map((r) => (r.value === undefined ? { op: r.op, field: r.field, undefined: true } : r));
    return call("queryPage", { table: this.table, index: this.index, range, order: this.orderValue, after, through, limit });
  }

  /** The query as JSON text: what a page cursor's fingerprint is taken of. */
  describe() {
    const range = this.range.map(({ op, field, value }) => ({ op, field, value: describe(value) }));
    return JSON.stringify({ table: this.table, index: this.index, range, order: this.orderValue, filters: this.filters.map(describe) });
  }

  /**
   * Yields {doc, key, size} in order, fetching batches as needed. `wanted` sizes the first batch when
   * the caller needs only a few documents and there are no filters, so `first()` reads one, not 100.
   */
  async *entries(wanted = PAGE_SIZE) {
    let after = null;
    let size = this.filters.length ? PAGE_SIZE : Math.max(1, Math.min(PAGE_SIZE, wanted));
    for (;;) {
      const batch = await this.fetchBatch(after, size);
      for (const entry of batch.page) yield entry;
      if (batch.isDone) return;
      after = batch.continueAfter;
      size = PAGE_SIZE;
    }
  }

  async *[Symbol.asyncIterator]() {
    for await (const entry of this.entries()) if (this.matches(entry.doc)) yield entry.doc;
  }

  async *#matching(wanted) {
    for await (const entry of this.entries(wanted)) if (this.matches(entry.doc)) yield entry.doc;
  }

  async collect() {
    const out = [];
    for await (const doc of this) out.push(doc);
    return out;
  }

  async take(n) {
    if (!Number.isInteger(n) || n < 0) throw new Error(`take() needs a non-negative integer, got ${n}`);
    const out = [];
    if (n === 0) return out;
    for await (const doc of this.#matching(n)) {
      out.push(doc);
      if (out.length >= n) break;
    }
    return out;
  }

  async first() {
    const [doc] = await this.take(1);
    return doc ?? null;
  }

  async unique() {
    const docs = await this.take(2);
    if (docs.length > 1) throw new Error(`unique() query returned more than one result: \n [${docs.map((d) => d._id).join(", ")}]`);
    return docs[0] ?? null;
  }

  /**
   * One page, as Convex pages: up to `numItems` documents after `cursor`, or, with an end cursor (given,
   * or the journal of an earlier run of this subscription), every document up to it. The host checks
   * the options, opens and seals the cursors and records the journal; this walks the range. Every
   * row read counts, filtered out or not: against `maximumRowsRead`/`maximumBytesRead` (reading stops
   * with `SplitRequired`), and towards the split cursor, the middle row read.
   */
  async paginate(options) {
    if (typeof options?.numItems !== "number") {
      throw new Error(`paginate() needs options.numItems, a number; got \`${options?.numItems}\``);
    }
    const asked = { numItems: options.numItems, cursor: options.cursor ?? null };
    for (const name of ["endCursor", "maximumRowsRead", "maximumBytesRead"]) if (options[name] != null) asked[name] = options[name];
    const bounds = callSync("pageBounds", { table: this.table, index: this.index, query: this.describe(), options: asked });
    const limited = (name) => bounds[name] !== undefined;
    const page = [];
    const keys = [];
    let position = bounds.after ?? null;
    let after = position;
    let reachedEnd = bounds.startsAtEnd;
    let rows = 0;
    let bytes = 0;
    let pageStatus = null;
    let batch = [];
    let next = 0;
    let batchWasLast = false;
    while (!reachedEnd && (bounds.hasEnd || page.length < bounds.numItems)) {
      if (limited("maximumBytesRead") && bytes >= bounds.maximumBytesRead) { pageStatus = "SplitRequired"; break; }
      if (next === batch.length) {
        if (batchWasLast) { reachedEnd = true; break; }
        if (limited("maximumRowsRead") && rows >= bounds.maximumRowsRead) { pageStatus = "SplitRequired"; break; }
        let size = bounds.hasEnd ? bounds.numItems : bounds.numItems - page.length;
        if (limited("maximumRowsRead")) size = Math.min(size, bounds.maximumRowsRead - rows);
        const fetched = await this.fetchBatch(after, Math.max(1, Math.min(1000, size)), bounds.through ?? null);
        [batch, next, batchWasLast, after] = [fetched.page, 0, fetched.isDone, fetched.continueAfter ?? null];
        continue;
      }
      const entry = batch[next++];
      rows += 1;
      bytes += entry.size;
      position = entry.key;
      keys.push(entry.key);
      if (this.matches(entry.doc)) page.push(entry.doc);
    }
    if (pageStatus === null && (rows > bounds.softRows || bytes > bounds.softBytes || page.length > bounds.softLength)) {
      pageStatus = "SplitRecommended";
    }
    // null is the end of the range.
    const end = bounds.hasEnd ? bounds.through ?? null : reachedEnd ? null : position;
    const split = keys.length > 2 ? keys[Math.floor(keys.length / 2)] : null;
    const { continueCursor, splitCursor } = callSync("pageEnd", { fingerprint: bounds.fingerprint, position: end, split });
    return { page, isDone: end === null, continueCursor, splitCursor, pageStatus };
  }
}

function makeDatabaseReader() {
  return {
    async get(...args) {
      const { table, rest } = splitTableArgument(args, 1);
      const [id] = rest;
      if (typeof id !== "string") throw new Error(`Invalid argument \`id\` for \`db.get\`: expected a string ID, got ${typeof id}`);
      checkIdTable(table, id);
      return call("get", { id });
    },
    query(table) {
      if (typeof table !== "string") throw new Error("db.query() needs a table name");
      return new Query(table);
    },
    normalizeId(table, id) {
      return callSync("normalizeId", { table, id });
    },
  };
}

// MARK: The schema

/** The deployment's `schema.ts` (its default export), or null; set by installConverge. */
let deploymentSchema = null;
/** The deployment's modules by path (`messages.js`), for functions that call others; set by installConverge. */
let deploymentModules = {};

function userFields(document) {
  const out = {};
  for (const [k, x] of Object.entries(document)) if (!k.startsWith("_")) out[k] = x;
  return out;
}

/** Why `document` may not be written to `table` under the schema, or null. */
function schemaProblem(table, document) {
  const definition = deploymentSchema?.schemaValidation && Object.hasOwn(deploymentSchema.tables, table) ? deploymentSchema.tables[table] : undefined;
  if (!definition) return null;
  return validateValue(definition.documentType, userFields(document), "", isTableId);
}

function checkSchema(table, document) {
  const problem = schemaProblem(table, document);
  if (problem) throw new Error(`Failed to insert or update a document in table "${table}" because it does not match the schema: ${problem}`);
}

/** One page of a table checked against the schema at push time: the first document that fails, if any. */
async function checkTablePage({ table, cursor }) {
  const page = await makeDatabaseReader().query(table).paginate({ numItems: 200, cursor });
  for (const document of page.page) {
    const problem = schemaProblem(table, document);
    if (problem) return { failure: { id: document._id, message: problem }, isDone: true, continueCursor: page.continueCursor };
  }
  return { failure: null, isDone: page.isDone, continueCursor: page.continueCursor };
}

function makeDatabaseWriter() {
  const reader = makeDatabaseReader();
  return {
    ...reader,
    async insert(table, value) {
      checkSchema(table, stripUndefined(value));
      return call("insert", { table, value: stripUndefined(value) });
    },
    async patch(...args) {
      const { table, rest } = splitTableArgument(args, 2);
      const [id, value] = rest;
      checkIdTable(table, id);
      const unset = Object.keys(value ?? {}).filter((k) => value[k] === undefined);
      const tableName = callSync("tableName", { id });
      if (tableName !== null && deploymentSchema?.schemaValidation && Object.hasOwn(deploymentSchema.tables, tableName)) {
        // The document as it will be: what is there, with the patch on top.
        const current = await reader.get(id);
        if (current !== null) {
          const merged = { ...userFields(current), ...stripUndefined(value) };
          for (const k of unset) delete merged[k];
          checkSchema(tableName, merged);
        }
      }
      return call("patch", { id, value: stripUndefined(value), unset });
    },
    async replace(...args) {
      const { table, rest } = splitTableArgument(args, 2);
      const [id, value] = rest;
      checkIdTable(table, id);
      const tableName = callSync("tableName", { id });
      if (tableName !== null) checkSchema(tableName, stripUndefined(value));
      return call("replace", { id, value: stripUndefined(value) });
    },
    async delete(...args) {
      const { table, rest } = splitTableArgument(args, 1);
      const [id] = rest;
      checkIdTable(table, id);
      return call("delete", { id });
    },
  };
}

function stripUndefined(value) {
  if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof ArrayBuffer) return value;
  const out = {};
  for (const [k, x] of Object.entries(value)) if (x !== undefined) out[k] = x;
  return out;
}

// MARK: Running a function

/** `usage.readAuth` records whether the function looked at its caller, so the coordinator knows
 * whether a query's result may be shared with callers of other identities. */
function makeContext(kind, request, usage) {
  const auth = {
    getUserIdentity: async () => {
      usage.readAuth = true;
      return request.identity === undefined ? null : jsonToConvex(request.identity);
    },
  };
  const db = kind === "mutation" ? makeDatabaseWriter() : makeDatabaseReader();
  db.system = makeDatabaseReader();
  if (kind === "action") {
    const run = (op) => async (reference, args) => call(op, { name: getFunctionName(reference), args: args ?? {} });
    return { auth, runQuery: run("runQuery"), runMutation: run("runMutation"), runAction: run("runAction") };
  }
  const runQuery = (reference, args) => runNested("query", reference, args, request, usage);
  if (kind === "query") return { db, auth, runQuery };
  return { db, auth, runQuery, runMutation: (reference, args) => runNested("mutation", reference, args, request, usage) };
}

// What refuses a call, whoever makes it (a client, or a function through ctx.runQuery): the message, or null.

function kindMismatch(fn, kind, name) {
  if (fn.convergeKind === kind) return null;
  const capital = (text) => text[0].toUpperCase() + text.slice(1);
  return `Trying to execute ${name} as ${capital(kind)}, but it is defined as ${capital(fn.convergeKind)}.`;
}

function argumentProblem(fn, args) {
  const problem = fn.argsValidator && validateValue(fn.argsValidator, args, "", isTableId);
  return problem ? `ArgumentValidationError: ${problem}` : null;
}

function returnProblem(fn, value) {
  const problem = fn.returnsValidator && validateValue(fn.returnsValidator, value, "", isTableId);
  return problem ? `ReturnsValidationError: ${problem}` : null;
}

/**
 * `ctx.runQuery` in a query or mutation, `ctx.runMutation` in a mutation: the function runs here, in
 * the caller's transaction, as Convex runs it. Its arguments and result are copied and validated as
 * a call from a client's would be; internal functions may be called. A nested mutation is a
 * sub-transaction: what it wrote is kept when it returns and undone when it throws, and the error
 * reaches the caller, who may catch it.
 */
async function runNested(kind, reference, args, request, usage) {
  const name = getFunctionName(reference);
  const [modulePart, functionName = "default"] = name.split(":");
  const modulePath = modulePart.endsWith(".js") ? modulePart : `${modulePart}.js`;
  const fn = deploymentModules[modulePath]?.[functionName];
  if (!fn?.isConvexFunction) throw new Error(`Could not find function for '${name}'`);
  const refused = (message) => { if (message) throw new Error(message); };
  refused(kindMismatch(fn, kind, name));
  const copied = jsonToConvex(convexToJson(args ?? {}));
  refused(argumentProblem(fn, copied));
  const depth = kind === "mutation" ? callSync("beginNested", {}) : null;
  let value;
  try {
    const result = await fn(makeContext(kind, request, usage), copied);
    value = result === undefined ? null : result;
    refused(returnProblem(fn, value));
    value = jsonToConvex(convexToJson(value));
  } catch (error) {
    if (depth !== null) callSync("rollbackNested", { depth });
    throw error;
  }
  if (depth !== null) callSync("commitNested", { depth });
  return value;
}

function formatLogArgument(value, seen = new Set()) {
  if (typeof value === "string") return `'${value}'`;
  if (typeof value === "bigint") return `${value}n`;
  if (value === undefined) return "undefined";
  if (value instanceof Error) return value.stack ? `${value}\n${value.stack}` : String(value);
  if (typeof value === "function") return `[Function: ${value.name || "anonymous"}]`;
  if (value && typeof value === "object") {
    if (seen.has(value)) return "[Circular]";
    seen.add(value);
    try {
      if (Array.isArray(value)) return `[ ${value.map((x) => formatLogArgument(x, seen)).join(", ")} ]`;
      if (!(value instanceof ArrayBuffer)) {
        const fields = Object.entries(value).map(([k, x]) => `${k}: ${formatLogArgument(x, seen)}`);
        return fields.length ? `{ ${fields.join(", ")} }` : "{}";
      }
    } finally {
      seen.delete(value);
    }
  }
  return String(value);
}

const MAX_LOG_LINES = 256;
// docs/limits.md: lines of at most 32,768 characters (the issue said 4 KiB; Convex's own limit, checked, wins).
const MAX_LOG_LINE_LENGTH = 32768;

// A context runs one invocation at a time, so the console, the clock and the random source are made
// once per context and each invocation only points them at its own state.
let currentLines = [];
const convergeConsole = (() => {
  const log = (level) => (...args) => {
    const lines = currentLines;
    if (lines.length >= MAX_LOG_LINES) {
      if (lines.length === MAX_LOG_LINES) lines.push(`[ERROR] Log overflow (maximum ${MAX_LOG_LINES}). Remaining log lines will be omitted.`);
      return;
    }
    let line = `[${level}] ${args.map((a) => formatLogArgument(a)).join(" ")}`;
    if (line.length > MAX_LOG_LINE_LENGTH) line = line.slice(0, MAX_LOG_LINE_LENGTH) + " (truncated due to length exceeding limit)";
    lines.push(line);
  };
  return {
    log: log("LOG"), info: log("INFO"), warn: log("WARN"), error: log("ERROR"), debug: log("DEBUG"),
    trace: log("LOG"), time() {}, timeEnd() {},
  };
})();

function installConsole(lines) {
  currentLines = lines;
  // A fresh object over the shared methods: what a function does to `console` stays with its call.
  globalThis.console = { ...convergeConsole };
}

// Queries and mutations are deterministic: seeded randomness and a clock fixed at the transaction time.
const RealDate = Date;
const realRandom = Math.random;
let fixedNow = 0;
let randomState = 0n;
class FixedDate extends RealDate {
  constructor(...args) { if (args.length === 0) super(fixedNow); else super(...args); }
  static now() { return fixedNow; }
}
// It stands in for Date: messages that name a value's class say "Date".
Object.defineProperty(FixedDate, "name", { value: "Date" });
function seededRandom() {
  randomState = BigInt.asUintN(64, randomState + 0x9e3779b97f4a7c15n);
  let z = randomState;
  z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
  z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
  z = z ^ (z >> 31n);
  return Number(z >> 11n) / 2 ** 53;
}
function installDeterminism(request) {
  if (request.kind === "action") {
    globalThis.Date = RealDate;
    Math.random = realRandom;
    return;
  }
  randomState = BigInt.asUintN(64, BigInt(request.seed));
  Math.random = seededRandom;
  // Whole milliseconds, as Convex's clock: `new Date()` and `Date.now()` agree, and BigInt(Date.now()) works.
  fixedNow = Math.floor(request.now);
  globalThis.Date = FixedDate;
}

// Actions may wait and talk to the network; queries and mutations may not, so they stay deterministic.
const refuse = (what) => () => { throw new Error(`Can't use ${what} in queries and mutations. Please consider using an action.`); };
const refused = { fetch: refuse("fetch()"), setTimeout: refuse("setTimeout"), setInterval: refuse("setInterval") };
function installEffects(request) {
  if (request.kind !== "action") {
    globalThis.fetch = refused.fetch;
    globalThis.setTimeout = refused.setTimeout;
    globalThis.setInterval = refused.setInterval;
    globalThis.clearTimeout = () => {};
    globalThis.clearInterval = () => {};
    return;
  }
  let nextTimer = 1;
  const cancelled = new Set();
  const delay = (ms, minimum) => {
    const n = Number(ms);
    return Number.isFinite(n) && n <= 2147483647 ? Math.max(minimum, n) : 1;
  };
  globalThis.setTimeout = (fn, ms = 0, ...args) => {
    const id = nextTimer++;
    call("sleep", { ms: delay(ms, 0) }).then(() => { if (!cancelled.delete(id)) fn(...args); });
    return id;
  };
  globalThis.clearTimeout = (id) => { cancelled.add(id); };
  globalThis.setInterval = (fn, ms = 0, ...args) => {
    const id = nextTimer++;
    const tick = () => call("sleep", { ms: delay(ms, 1) }).then(() => { if (!cancelled.has(id)) { fn(...args); tick(); } });
    tick();
    return id;
  };
  globalThis.clearInterval = (id) => { cancelled.add(id); };
  globalThis.fetch = async (input, init) => {
    const req = new RequestImpl(input, init);
    const body = req.body ? req.body.slice().buffer : null;
    const reply = await call("fetch", { url: req.url, method: req.method, headers: [...req.headers], body });
    return new ResponseImpl(reply.body, { status: Number(reply.status), statusText: reply.statusText, headers: reply.headers, url: req.url });
  };
}

function errorInfo(error) {
  if (error instanceof ConvexError || error?.[Symbol.for("ConvexError")]) {
    let data;
    try { data = convexToJson(error.data); } catch { data = String(error.data); }
    return { message: `Uncaught ConvexError: ${error.message}`, data };
  }
  if (error instanceof Error) {
    return { message: `Uncaught ${error.name}: ${error.message}`, stack: error.stack ?? "" };
  }
  return { message: `Uncaught ${typeof error === "string" ? error : formatLogArgument(error)}` };
}

function findFunction(modules, modulePath, functionName) {
  const module = modules[modulePath];
  const fn = module?.[functionName];
  const display = `${modulePath.replace(/\.js$/, "")}:${functionName}`;
  if (!fn?.isConvexFunction) throw { userMessage: `Could not find public function for '${display}'. Did you forget to run \`npx convex dev\` or \`npx convex deploy\`?` };
  return { fn, display };
}

/** The route of `http.js`'s router for a request: an exact `path` first, else the longest `pathPrefix`. */
function matchRoute(routes, method, pathname) {
  const candidates = routes.filter((r) => r.method === method);
  const exact = candidates.find((r) => r.path === pathname);
  if (exact) return exact;
  let best = null;
  for (const r of candidates) {
    if (r.pathPrefix && pathname.startsWith(r.pathPrefix) && (!best || r.pathPrefix.length > best.pathPrefix.length)) best = r;
  }
  return best;
}

/** Runs an HTTP action: routes the request, calls the handler with an action's ctx, and returns the
 * response as {status, headers, body} for the coordinator to send. */
async function runHttpAction(modules, request, usage) {
  const http = jsonToConvex(request.http);
  const router = modules["http.js"]?.default;
  const route = router?.isRouter ? matchRoute(router.routes, http.method, new URL(http.url).pathname) : null;
  if (!route) {
    return { status: 404, headers: [["content-type", "text/plain;charset=UTF-8"]], body: new TextEncoder().encode("No matching routes found").buffer };
  }
  const hasBody = http.body !== null && http.method !== "GET" && http.method !== "HEAD";
  const incoming = new RequestImpl(http.url, { method: http.method, headers: http.headers, body: hasBody ? http.body : undefined });
  const response = await route.handler(makeContext("action", request, usage), incoming);
  if (!(response instanceof ResponseImpl)) throw new Error("An HTTP action must return a Response");
  return { status: response.status, headers: [...response.headers].map(([name, value]) => [name, value]), body: await response.arrayBuffer() };
}

/** What the coordinator keeps of a deployment: its functions with their validators, HTTP routes,
 * crons, schema and auth providers. */
function describeDeployment(modules, config) {
  const functions = [];
  for (const [path, module] of Object.entries(modules)) {
    for (const [name, fn] of Object.entries(module)) {
      if (!fn?.isConvexFunction || fn.isHttp) continue;
      functions.push({
        module: path, name, kind: fn.convergeKind, visibility: fn.isInternal ? "internal" : "public",
        args: fn.argsValidator ? validatorJson(fn.argsValidator) : null,
        returns: fn.returnsValidator ? validatorJson(fn.returnsValidator) : null,
      });
    }
  }
  const router = modules["http.js"]?.default;
  const httpRoutes = router?.isRouter ? router.routes.map((r) => ({ method: r.method, path: r.path ?? null, pathPrefix: r.pathPrefix ?? null })) : [];
  const cronJobs = modules["crons.js"]?.default;
  const crons = cronJobs?.isCrons ? Object.values(cronJobs.crons).map((c) => ({ ...c, args: c.args.map(convexToJson) })) : [];
  const schema = config.schema && {
    schemaValidation: config.schema.schemaValidation,
    strictTableNameTypes: config.schema.strictTableNameTypes,
    tables: Object.entries(config.schema.tables).map(([name, table]) => ({
      name,
      indexes: table.indexes.map((index) => ({ name: index.indexDescriptor, fields: index.fields })),
      documentType: validatorJson(table.documentType),
    })),
  };
  return { functions, httpRoutes, crons, schema: schema ?? null, authProviders: config.auth?.providers ?? [] };
}

/** Installs the deployment's modules and the entry point the host calls. Called by the generated bundle
 * entry with the modules and `{ schema, auth }` (the default exports of schema.ts and auth.config.ts). */
export function installConverge(modules, config = {}) {
  deploymentSchema = config.schema ?? null;
  deploymentModules = modules;
  globalThis.__converge = {
    modules,
    analyze() {
      return JSON.stringify(describeDeployment(modules, config));
    },
    /** Runs one function; settles with the JSON of {value} or {error}, always with the log lines. */
    async invoke(requestJson) {
      const request = JSON.parse(requestJson);
      const lines = [];
      const usage = { readAuth: false };
      installConsole(lines);
      installDeterminism(request);
      installEffects(request);
      try {
        if (request.http) {
          const response = await runHttpAction(modules, request, usage);
          return JSON.stringify({ value: convexToJson(response), logLines: lines, readAuth: usage.readAuth });
        }
        if (request.system === "checkSchema") {
          return JSON.stringify({ value: convexToJson(await checkTablePage(jsonToConvex(request.args))), logLines: lines });
        }
        const { fn, display } = findFunction(modules, request.module, request.function);
        const refused = (message) => { if (message) throw { userMessage: message }; };
        refused(kindMismatch(fn, request.kind, `${request.module}:${request.function}`));
        if (fn.isInternal && !request.allowInternal) {
          throw { userMessage: `Could not find public function for '${display}'. Did you forget to run \`npx convex dev\` or \`npx convex deploy\`?` };
        }
        const args = jsonToConvex(request.args);
        refused(argumentProblem(fn, args));
        const result = await fn(makeContext(request.kind, request, usage), args);
        const value = result === undefined ? null : result;
        refused(returnProblem(fn, value));
        return JSON.stringify({ value: convexToJson(value), logLines: lines, readAuth: usage.readAuth });
      } catch (error) {
        const info = error && typeof error === "object" && "userMessage" in error ? { message: error.userMessage } : errorInfo(error);
        return JSON.stringify({ error: info, logLines: lines, readAuth: usage.readAuth });
      }
    },
  };
}
