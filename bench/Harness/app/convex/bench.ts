import { mutationGeneric as mutation, queryGeneric as query } from "convex/server";
import { ConvexError, v } from "convex/values";

// The app `converge bench` deploys before it drives a deployment.

export const insert = mutation({
  args: { client: v.number(), seq: v.number() },
  handler: (ctx, { client, seq }) => ctx.db.insert("items", { client, seq, body: "converge bench" }),
});

// The newest items: what `mixed` reads and subscribes to while it writes.
export const recent = query({
  args: {},
  handler: (ctx) => ctx.db.query("items").order("desc").take(10),
});

// Which of these acknowledged inserts are not in the database (an empty array when none was lost).
export const missing = query({
  args: { ids: v.array(v.id("items")) },
  handler: async (ctx, { ids }) => {
    const found = await Promise.all(ids.map((id) => ctx.db.get(id)));
    return ids.filter((_, i) => found[i] === null);
  },
});

export const seedCounters = mutation({
  args: { slots: v.number() },
  handler: async (ctx, { slots }) => {
    for (const counter of await ctx.db.query("counters").collect()) await ctx.db.delete(counter._id);
    for (let slot = 0; slot < slots; slot++) await ctx.db.insert("counters", { slot, value: 0 });
  },
});

// Read-modify-write of one hot document: concurrent calls on the same slot conflict and retry.
export const increment = mutation({
  args: { slot: v.number() },
  handler: async (ctx, { slot }) => {
    const counter = await ctx.db.query("counters").withIndex("by_slot", (q) => q.eq("slot", slot)).unique();
    if (counter === null) throw new Error(`no counter ${slot}`);
    await ctx.db.patch(counter._id, { value: counter.value + 1 });
    return counter.value + 1;
  },
});

export const counterTotal = query({
  args: {},
  handler: async (ctx) => (await ctx.db.query("counters").collect()).reduce((sum, c) => sum + c.value, 0),
});

// Inserts documents for keys first..first+count-1 that do not exist yet.
export const seedDocs = mutation({
  args: { first: v.number(), count: v.number() },
  handler: async (ctx, { first, count }) => {
    for (let key = first; key < first + count; key++) {
      const existing = await ctx.db.query("docs").withIndex("by_key", (q) => q.eq("key", key)).unique();
      if (existing === null) await ctx.db.insert("docs", { key, value: "" });
    }
  },
});

export const doc = query({
  args: { key: v.number() },
  handler: (ctx, { key }) => ctx.db.query("docs").withIndex("by_key", (q) => q.eq("key", key)).unique(),
});

export const setDoc = mutation({
  args: { key: v.number(), value: v.string() },
  handler: async (ctx, { key, value }) => {
    const existing = await ctx.db.query("docs").withIndex("by_key", (q) => q.eq("key", key)).unique();
    if (existing === null) throw new Error(`no document ${key}`);
    await ctx.db.patch(existing._id, { value });
  },
});

// About two milliseconds of JavaScript and no reads: what scales with runner processes alone.
export const spin = query({
  args: { n: v.number() },
  handler: (_, { n }) => {
    let x = n;
    for (let i = 0; i < 300_000; i++) x = (x * 31 + i) % 1_000_003;
    return x;
  },
});

// `chaos`: an insert carrying a key the client chose, so the harness can count each key's rows.
export const put = mutation({
  args: { key: v.string() },
  handler: async (ctx, { key }) => {
    await ctx.db.insert("keyed", { key });
  },
});

// How many rows each key has (up to 3): 1 for an acknowledged insert, never more.
export const keyCounts = query({
  args: { keys: v.array(v.string()) },
  handler: (ctx, { keys }) =>
    Promise.all(keys.map(async (key) => (await ctx.db.query("keyed").withIndex("by_key", (q) => q.eq("key", key)).take(3)).length)),
});

export const seedAccounts = mutation({
  args: { count: v.number(), balance: v.number() },
  handler: async (ctx, { count, balance }) => {
    for (const account of await ctx.db.query("accounts").collect()) await ctx.db.delete(account._id);
    for (let slot = 0; slot < count; slot++) await ctx.db.insert("accounts", { slot, balance });
  },
});

// Moves money between two accounts; refuses to overdraw. Applied twice, it would still conserve the
// total, so the harness also counts keyed inserts for duplicates.
export const transfer = mutation({
  args: { from: v.number(), to: v.number(), amount: v.number() },
  handler: async (ctx, { from, to, amount }) => {
    const source = await ctx.db.query("accounts").withIndex("by_slot", (q) => q.eq("slot", from)).unique();
    const target = await ctx.db.query("accounts").withIndex("by_slot", (q) => q.eq("slot", to)).unique();
    if (source === null || target === null) throw new ConvexError({ code: "NoAccount" });
    if (source.balance < amount) throw new ConvexError({ code: "InsufficientFunds" });
    await ctx.db.patch(source._id, { balance: source.balance - amount });
    await ctx.db.patch(target._id, { balance: target.balance + amount });
  },
});

export const totalBalance = query({
  args: {},
  handler: async (ctx) => (await ctx.db.query("accounts").collect()).reduce((sum, a) => sum + a.balance, 0),
});
