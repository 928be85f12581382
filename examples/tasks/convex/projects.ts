import { v } from "convex/values";
import { mutation, query } from "./_generated/server";

export const create = mutation({
  args: { name: v.string() },
  returns: v.id("projects"),
  handler: (ctx, { name }) => ctx.db.insert("projects", { name, archived: false }),
});

export const archive = mutation({
  args: { name: v.string() },
  returns: v.boolean(),
  handler: async (ctx, { name }) => {
    const project = await ctx.db.query("projects").withIndex("by_name", (q) => q.eq("name", name)).unique();
    if (project === null) return false;
    await ctx.db.patch(project._id, { archived: true });
    return true;
  },
});

export const withTasks = query({
  args: { name: v.string() },
  handler: async (ctx, { name }) => {
    const project = await ctx.db.query("projects").withIndex("by_name", (q) => q.eq("name", name)).unique();
    if (project === null) return null;
    const tasks = await ctx.db.query("tasks").withIndex("by_project", (q) => q.eq("project", project._id)).collect();
    return { name: project.name, archived: project.archived, titles: tasks.map((t) => t.title) };
  },
});
