import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  // `commit` and `mixed` insert here; `client` and `seq` make every row traceable to the call that wrote it.
  items: defineTable({ client: v.number(), seq: v.number(), body: v.string() }),
  // `contention`: a few hot counters.
  counters: defineTable({ slot: v.number(), value: v.number() }).index("by_slot", ["slot"]),
  // `fanout` and `disjoint`: one document per key, each read by its own subscription.
  docs: defineTable({ key: v.number(), value: v.string() }).index("by_key", ["key"]),
  // `chaos`: rows keyed by the writer, counted afterwards, and accounts whose total must not change.
  keyed: defineTable({ key: v.string() }).index("by_key", ["key"]),
  accounts: defineTable({ slot: v.number(), balance: v.number() }).index("by_slot", ["slot"]),
});
