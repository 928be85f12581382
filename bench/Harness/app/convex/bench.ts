import { mutationGeneric as mutation, queryGeneric as query } from "convex/server";
import { v } from "convex/values";

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
