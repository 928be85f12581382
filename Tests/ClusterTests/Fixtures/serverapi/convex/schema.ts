import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  notes: defineTable({ body: v.string(), tag: v.string(), extra: v.optional(v.any()) }).index("by_tag", ["tag"]),
});
