import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  messages: defineTable({ body: v.string(), author: v.optional(v.union(v.string(), v.null())), n: v.optional(v.number()) }).index("by_author", ["author"]),
  counters: defineTable({ name: v.string(), value: v.int64() }).index("by_name", ["name"]),
});
