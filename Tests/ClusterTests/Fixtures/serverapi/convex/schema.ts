import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  notes: defineTable({ body: v.string(), tag: v.string() }).index("by_tag", ["tag"]),
});
