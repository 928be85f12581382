// Web platform globals that Convex functions expect and JavaScriptCore alone does not provide:
// TextEncoder/TextDecoder, atob/btoa, URL/URLSearchParams, crypto.getRandomValues/randomUUID,
// structuredClone, Blob, Headers, Request, Response, AbortController, Event/EventTarget.
// Installed once per context when the bundle loads; only what is missing is defined.

import { base64ToBytes, bytesToBase64 } from "./values.js";

const define = (name, value) => {
  if (globalThis[name] === undefined) Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });
};

// MARK: Text

class TextEncoderImpl {
  get encoding() { return "utf-8"; }
  encode(input = "") {
    const out = [];
    for (const ch of String(input)) {
      let c = ch.codePointAt(0);
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // lone surrogate
      if (c < 0x80) out.push(c);
      else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return new Uint8Array(out);
  }
}

class TextDecoderImpl {
  constructor(label = "utf-8") {
    if (!/^utf-?8$/i.test(label)) throw new RangeError(`TextDecoder: only utf-8 is supported, not ${label}`);
  }
  get encoding() { return "utf-8"; }
  decode(input) {
    if (input === undefined) return "";
    const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    const out = [];
    let i = 0;
    while (i < bytes.length) {
      const b = bytes[i];
      let need, c;
      if (b < 0x80) { out.push(String.fromCharCode(b)); i++; continue; }
      if (b >= 0xc2 && b < 0xe0) { need = 1; c = b & 0x1f; }
      else if (b >= 0xe0 && b < 0xf0) { need = 2; c = b & 0x0f; }
      else if (b >= 0xf0 && b < 0xf5) { need = 3; c = b & 0x07; }
      else { out.push("\ufffd"); i++; continue; }
      let ok = i + need < bytes.length;
      for (let k = 1; ok && k <= need; k++) {
        const next = bytes[i + k];
        if ((next & 0xc0) !== 0x80) ok = false;
        else c = (c << 6) | (next & 0x3f);
      }
      // Overlong forms, surrogates and code points past U+10FFFF are malformed too.
      if (!ok || (need === 2 && c < 0x800) || (need === 3 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff)) {
        out.push("\ufffd");
        i++;
        continue;
      }
      out.push(String.fromCodePoint(c));
      i += need + 1;
    }
    return out.join("");
  }
}

define("TextEncoder", TextEncoderImpl);
define("TextDecoder", TextDecoderImpl);

define("btoa", (text) => {
  const s = String(text);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw new Error("btoa: the string has characters outside of the Latin1 range");
    bytes[i] = c;
  }
  return bytesToBase64(bytes);
});

define("atob", (text) => {
  let s = String(text).replace(/[\t\n\f\r ]/g, "");
  while (s.length % 4 !== 0) s += "=";
  return String.fromCharCode(...base64ToBytes(s));
});

// MARK: URL

const DEFAULT_PORTS = { "http:": "80", "https:": "443", "ws:": "80", "wss:": "443", "ftp:": "21" };

function percentEncode(s, keep) {
  return Array.from(new TextEncoderImpl().encode(s), (b) => {
    const c = String.fromCharCode(b);
    return keep.test(c) ? c : "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }).join("");
}

function formDecode(s) {
  const bytes = [];
  const text = s.replace(/\+/g, " ");
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "%" && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...new TextEncoderImpl().encode(text[i]));
    }
  }
  return new TextDecoderImpl().decode(new Uint8Array(bytes));
}

class URLSearchParamsImpl {
  #list = [];
  #onChange = null;

  constructor(init = "") {
    if (typeof init === "string") {
      this.#parse(init);
    } else if (init instanceof URLSearchParamsImpl) {
      this.#list = [...init];
    } else if (init && typeof init[Symbol.iterator] === "function") {
      for (const [k, v] of init) this.#list.push([String(k), String(v)]);
    } else if (init && typeof init === "object") {
      for (const [k, v] of Object.entries(init)) this.#list.push([String(k), String(v)]);
    }
  }

  #parse(text) {
    this.#list = [];
    for (const part of text.replace(/^\?/, "").split("&")) {
      if (!part) continue;
      const eq = part.indexOf("=");
      this.#list.push(eq < 0 ? [formDecode(part), ""] : [formDecode(part.slice(0, eq)), formDecode(part.slice(eq + 1))]);
    }
  }

  _attach(onChange, text) { this.#onChange = onChange; this.#parse(text); }
  #changed() { this.#onChange?.(this.toString()); }

  append(k, v) { this.#list.push([String(k), String(v)]); this.#changed(); }
  delete(k) { this.#list = this.#list.filter(([x]) => x !== k); this.#changed(); }
  get(k) { return this.#list.find(([x]) => x === k)?.[1] ?? null; }
  getAll(k) { return this.#list.filter(([x]) => x === k).map(([, v]) => v); }
  has(k) { return this.#list.some(([x]) => x === k); }
  set(k, v) {
    const i = this.#list.findIndex(([x]) => x === k);
    if (i < 0) this.#list.push([String(k), String(v)]);
    else this.#list = [...this.#list.slice(0, i), [String(k), String(v)], ...this.#list.slice(i + 1).filter(([x]) => x !== k)];
    this.#changed();
  }
  sort() { this.#list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)); this.#changed(); }
  forEach(fn, self) { for (const [k, v] of this.#list) fn.call(self, v, k, this); }
  keys() { return this.#list.map(([k]) => k)[Symbol.iterator](); }
  values() { return this.#list.map(([, v]) => v)[Symbol.iterator](); }
  entries() { return this.#list.map((e) => [...e])[Symbol.iterator](); }
  [Symbol.iterator]() { return this.entries(); }
  get size() { return this.#list.length; }
  toString() {
    const enc = (s) => percentEncode(s, /[A-Za-z0-9*\-._ ]/).replace(/ /g, "+");
    return this.#list.map(([k, v]) => `${enc(k)}=${enc(v)}`).join("&");
  }
}

class URLImpl {
  #protocol = ""; #username = ""; #password = ""; #hostname = ""; #port = ""; #pathname = "/"; #search = ""; #hash = "";
  #searchParams = new URLSearchParamsImpl();

  constructor(input, base) {
    const text = String(input).trim();
    const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$/.exec(text);
    if (match) {
      this.#parseAbsolute(match[1].toLowerCase() + ":", match[2]);
    } else {
      if (base === undefined) throw new TypeError(`Invalid URL: ${text}`);
      const b = base instanceof URLImpl ? base : new URLImpl(base);
      this.#protocol = b.protocol; this.#username = b.username; this.#password = b.password;
      this.#hostname = b.hostname; this.#port = b.port;
      if (text.startsWith("//")) {
        this.#parseAbsolute(b.protocol, text);
      } else {
        const [pathAndQuery, hash = null] = splitOnce(text, "#");
        const [path, query = null] = splitOnce(pathAndQuery, "?");
        if (path === "") {
          this.#pathname = b.pathname;
          this.#search = query === null ? b.search : query ? "?" + query : "";
        } else {
          this.#pathname = normalizePath(path.startsWith("/") ? path : b.pathname.replace(/[^/]*$/, "") + path);
          this.#search = query ? "?" + query : "";
        }
        this.#hash = hash ? "#" + hash : "";
      }
    }
    this.#searchParams._attach((s) => { this.#search = s ? "?" + s : ""; }, this.#search);
  }

  #parseAbsolute(protocol, rest) {
    this.#protocol = protocol;
    if (!rest.startsWith("//")) {
      const [pathAndQuery, hash = null] = splitOnce(rest, "#");
      const [path, query = null] = splitOnce(pathAndQuery, "?");
      this.#pathname = path;
      this.#search = query ? "?" + query : "";
      this.#hash = hash ? "#" + hash : "";
      return;
    }
    const afterSlashes = rest.slice(2);
    const end = afterSlashes.search(/[/?#]/);
    const authority = end < 0 ? afterSlashes : afterSlashes.slice(0, end);
    const remainder = end < 0 ? "" : afterSlashes.slice(end);
    const at = authority.lastIndexOf("@");
    const hostPort = at < 0 ? authority : authority.slice(at + 1);
    if (at >= 0) {
      const [user, pass = ""] = splitOnce(authority.slice(0, at), ":");
      this.#username = user; this.#password = pass;
    }
    const portMatch = /^(.*?)(?::(\d*))?$/.exec(hostPort);
    this.#hostname = portMatch[1].toLowerCase();
    if (!this.#hostname && (protocol === "http:" || protocol === "https:")) throw new TypeError(`Invalid URL: ${protocol}${rest}`);
    const port = portMatch[2] ?? "";
    this.#port = port === DEFAULT_PORTS[protocol] ? "" : port;
    const [pathAndQuery, hash = null] = splitOnce(remainder, "#");
    const [path, query = null] = splitOnce(pathAndQuery, "?");
    this.#pathname = normalizePath(path || "/");
    this.#search = query ? "?" + query : "";
    this.#hash = hash ? "#" + hash : "";
  }

  get protocol() { return this.#protocol; }
  set protocol(v) { this.#protocol = String(v).replace(/:?$/, ":"); }
  get username() { return this.#username; }
  get password() { return this.#password; }
  get hostname() { return this.#hostname; }
  set hostname(v) { this.#hostname = String(v); }
  get port() { return this.#port; }
  set port(v) { this.#port = String(v) === DEFAULT_PORTS[this.#protocol] ? "" : String(v); }
  get host() { return this.#port ? `${this.#hostname}:${this.#port}` : this.#hostname; }
  get origin() { return this.#hostname ? `${this.#protocol}//${this.host}` : "null"; }
  get pathname() { return this.#pathname; }
  set pathname(v) { this.#pathname = normalizePath(String(v).startsWith("/") ? String(v) : "/" + v); }
  get search() { return this.#search.length > 1 ? this.#search : ""; }
  set search(v) { const s = String(v).replace(/^\?/, ""); this.#search = s ? "?" + s : ""; this.#searchParams._attach((x) => { this.#search = x ? "?" + x : ""; }, s); }
  get searchParams() { return this.#searchParams; }
  get hash() { return this.#hash.length > 1 ? this.#hash : ""; }
  set hash(v) { const s = String(v).replace(/^#/, ""); this.#hash = s ? "#" + s : ""; }
  get href() {
    const auth = this.#username ? `${this.#username}${this.#password ? ":" + this.#password : ""}@` : "";
    const authority = this.#hostname ? `//${auth}${this.host}` : "";
    return `${this.#protocol}${authority}${this.#pathname}${this.search}${this.hash}`;
  }
  set href(v) { const u = new URLImpl(v); Object.assign(this, {}); this.#protocol = u.protocol; this.#hostname = u.hostname; this.#port = u.port; this.#pathname = u.pathname; this.search = u.search; this.#hash = u.hash; }
  toString() { return this.href; }
  toJSON() { return this.href; }
  static canParse(input, base) { try { new URLImpl(input, base); return true; } catch { return false; } }
}

function splitOnce(s, sep) {
  const i = s.indexOf(sep);
  return i < 0 ? [s] : [s.slice(0, i), s.slice(i + 1)];
}

function normalizePath(path) {
  const out = [];
  const parts = path.split("/");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part === "..") { if (out.length > 1) out.pop(); if (i === parts.length - 1) out.push(""); }
    else if (part === ".") { if (i === parts.length - 1) out.push(""); }
    else out.push(part);
  }
  const joined = out.join("/");
  return joined.startsWith("/") ? joined : "/" + joined;
}

define("URL", URLImpl);
define("URLSearchParams", URLSearchParamsImpl);

// MARK: crypto

function getRandomValues(array) {
  if (!ArrayBuffer.isView(array) || array instanceof Float32Array || array instanceof Float64Array) {
    throw new TypeError("crypto.getRandomValues needs an integer typed array");
  }
  if (array.byteLength > 65536) throw new Error("crypto.getRandomValues: at most 65536 bytes at a time");
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  // Math.random is seeded per request in queries and mutations, so this is deterministic there too.
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return array;
}

function randomUUID() {
  const b = getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

define("crypto", { getRandomValues, randomUUID });

// MARK: structuredClone

define("structuredClone", function structuredClone(value) {
  const seen = new Map();
  const clone = (v) => {
    if (v === null || typeof v !== "object") {
      if (typeof v === "function" || typeof v === "symbol") throw new Error(`${String(v)} could not be cloned.`);
      return v;
    }
    if (seen.has(v)) return seen.get(v);
    let out;
    if (v instanceof Date) out = new Date(v.getTime());
    else if (v instanceof RegExp) out = new RegExp(v.source, v.flags);
    else if (v instanceof ArrayBuffer) out = v.slice(0);
    else if (ArrayBuffer.isView(v)) out = new v.constructor(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
    else if (v instanceof Map) { out = new Map(); seen.set(v, out); for (const [k, x] of v) out.set(clone(k), clone(x)); return out; }
    else if (v instanceof Set) { out = new Set(); seen.set(v, out); for (const x of v) out.add(clone(x)); return out; }
    else if (v instanceof Error) { out = new v.constructor(v.message); }
    else if (Array.isArray(v)) { out = []; seen.set(v, out); v.forEach((x, i) => { out[i] = clone(x); }); return out; }
    else { out = {}; seen.set(v, out); for (const k of Object.keys(v)) out[k] = clone(v[k]); return out; }
    seen.set(v, out);
    return out;
  };
  return clone(value);
});

// MARK: Events and aborting

class EventImpl {
  constructor(type, init = {}) { this.type = type; this.defaultPrevented = false; this.cancelable = !!init.cancelable; this.timeStamp = Date.now(); }
  preventDefault() { if (this.cancelable) this.defaultPrevented = true; }
}

class EventTargetImpl {
  #listeners = new Map();
  addEventListener(type, fn, options) {
    if (!fn) return;
    const list = this.#listeners.get(type) ?? [];
    list.push({ fn, once: !!options?.once });
    this.#listeners.set(type, list);
  }
  removeEventListener(type, fn) {
    this.#listeners.set(type, (this.#listeners.get(type) ?? []).filter((l) => l.fn !== fn));
  }
  dispatchEvent(event) {
    const handler = this["on" + event.type];
    if (typeof handler === "function") handler.call(this, event);
    for (const l of [...(this.#listeners.get(event.type) ?? [])]) {
      if (l.once) this.removeEventListener(event.type, l.fn);
      typeof l.fn === "function" ? l.fn.call(this, event) : l.fn.handleEvent(event);
    }
    return !event.defaultPrevented;
  }
}

class AbortSignalImpl extends EventTargetImpl {
  aborted = false;
  reason = undefined;
  onabort = null;
  throwIfAborted() { if (this.aborted) throw this.reason; }
  static abort(reason) { const c = new AbortControllerImpl(); c.abort(reason); return c.signal; }
}

class AbortControllerImpl {
  signal = new AbortSignalImpl();
  abort(reason) {
    if (this.signal.aborted) return;
    this.signal.aborted = true;
    this.signal.reason = reason ?? Object.assign(new Error("This operation was aborted"), { name: "AbortError" });
    this.signal.dispatchEvent(new EventImpl("abort"));
  }
}

define("Event", EventImpl);
define("EventTarget", EventTargetImpl);
define("AbortSignal", AbortSignalImpl);
define("AbortController", AbortControllerImpl);

// MARK: Blob, Headers, Request, Response

function toBytes(part) {
  if (part instanceof BlobImpl) return part._bytes;
  if (part instanceof ArrayBuffer) return new Uint8Array(part);
  if (ArrayBuffer.isView(part)) return new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
  return new TextEncoderImpl().encode(String(part));
}

function concatBytes(chunks) {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) { out.set(c, offset); offset += c.length; }
  return out;
}

class BlobImpl {
  constructor(parts = [], options = {}) {
    this._bytes = concatBytes(parts.map(toBytes));
    this.type = options.type ? String(options.type).toLowerCase() : "";
  }
  get size() { return this._bytes.length; }
  async text() { return new TextDecoderImpl().decode(this._bytes); }
  async arrayBuffer() { return this._bytes.slice().buffer; }
  async bytes() { return this._bytes.slice(); }
  slice(start = 0, end = this._bytes.length, type = "") { return new BlobImpl([this._bytes.slice(start, end)], { type }); }
}

class HeadersImpl {
  #map = new Map();
  constructor(init) {
    if (init instanceof HeadersImpl) for (const [k, v] of init) this.append(k, v);
    else if (Array.isArray(init)) for (const [k, v] of init) this.append(k, v);
    else if (init && typeof init === "object") for (const [k, v] of Object.entries(init)) this.append(k, v);
  }
  append(k, v) { const key = String(k).toLowerCase(); const old = this.#map.get(key); this.#map.set(key, old === undefined ? String(v) : `${old}, ${v}`); }
  set(k, v) { this.#map.set(String(k).toLowerCase(), String(v)); }
  get(k) { return this.#map.get(String(k).toLowerCase()) ?? null; }
  has(k) { return this.#map.has(String(k).toLowerCase()); }
  delete(k) { this.#map.delete(String(k).toLowerCase()); }
  forEach(fn, self) { for (const [k, v] of this) fn.call(self, v, k, this); }
  *entries() { yield* [...this.#map.entries()].sort(([a], [b]) => (a < b ? -1 : 1)); }
  *keys() { for (const [k] of this.entries()) yield k; }
  *values() { for (const [, v] of this.entries()) yield v; }
  [Symbol.iterator]() { return this.entries(); }
}

class Body {
  #bytes;
  bodyUsed = false;
  constructor(body, headers) {
    if (body === undefined || body === null) { this.#bytes = null; return; }
    if (typeof body === "string") { this.#bytes = new TextEncoderImpl().encode(body); if (!headers.has("content-type")) headers.set("content-type", "text/plain;charset=UTF-8"); }
    else if (body instanceof URLSearchParamsImpl) { this.#bytes = new TextEncoderImpl().encode(body.toString()); if (!headers.has("content-type")) headers.set("content-type", "application/x-www-form-urlencoded;charset=UTF-8"); }
    else if (body instanceof BlobImpl) { this.#bytes = body._bytes; if (body.type && !headers.has("content-type")) headers.set("content-type", body.type); }
    else this.#bytes = toBytes(body);
  }
  get body() { return this.#bytes; }
  #consume() {
    if (this.bodyUsed) throw new TypeError("Body is unusable: Body has already been read");
    this.bodyUsed = true;
    return this.#bytes ?? new Uint8Array(0);
  }
  async arrayBuffer() { return this.#consume().slice().buffer; }
  async bytes() { return this.#consume().slice(); }
  async text() { return new TextDecoderImpl().decode(this.#consume()); }
  async json() { return JSON.parse(await this.text()); }
  async blob() { const type = this.headers.get("content-type") ?? ""; return new BlobImpl([this.#consume()], { type }); }
}

class RequestImpl extends Body {
  constructor(input, init = {}) {
    const from = input instanceof RequestImpl ? input : null;
    const headers = new HeadersImpl(init.headers ?? from?.headers);
    super(init.body ?? from?.body, headers);
    this.url = from ? from.url : new URLImpl(String(input)).href;
    this.method = String(init.method ?? from?.method ?? "GET").toUpperCase();
    this.headers = headers;
    this.signal = init.signal ?? from?.signal ?? new AbortControllerImpl().signal;
    if ((this.method === "GET" || this.method === "HEAD") && this.body) throw new TypeError("Request with GET/HEAD method cannot have body.");
  }
  clone() { return new RequestImpl(this); }
}

class ResponseImpl extends Body {
  constructor(body = null, init = {}) {
    const headers = new HeadersImpl(init.headers);
    super(body, headers);
    this.status = init.status ?? 200;
    this.statusText = init.statusText ?? "";
    this.headers = headers;
    this.url = init.url ?? "";
    this.type = "default";
    this.redirected = false;
  }
  get ok() { return this.status >= 200 && this.status < 300; }
  clone() { return new ResponseImpl(this.body, { status: this.status, statusText: this.statusText, headers: this.headers, url: this.url }); }
  static json(data, init = {}) {
    const headers = new HeadersImpl(init.headers);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    return new ResponseImpl(JSON.stringify(data), { ...init, headers });
  }
  static error() { return new ResponseImpl(null, { status: 0 }); }
  static redirect(url, status = 302) { return new ResponseImpl(null, { status, headers: { location: String(url) } }); }
}

define("Blob", BlobImpl);
define("Headers", HeadersImpl);
define("Request", RequestImpl);
define("Response", ResponseImpl);

export { RequestImpl, ResponseImpl, HeadersImpl };
