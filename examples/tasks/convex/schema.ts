import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export const status = v.union(v.literal("todo"), v.literal("doing"), v.literal("done"));

export default defineSchema({
  tasks: defineTable({
    title: v.string(),
    status,
    priority: v.int64(),
    owner: v.string(),
    tags: v.array(v.string()),
    due: v.optional(v.number()),
    project: v.optional(v.id("projects")),
    details: v.optional(v.object({ note: v.string(), links: v.array(v.string()) })),
  })
    .index("by_status_priority", ["status", "priority"])
    .index("by_owner_due", ["owner", "due"])
    .index("by_project", ["project"]),
  projects: defineTable({ name: v.string(), archived: v.boolean() }).index("by_name", ["name"]),
});
