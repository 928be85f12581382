import { ConvexError, v } from "convex/values";
import { internalMutation, mutation, query } from "./_generated/server";
import { status } from "./schema";

// Read when the module loads: `converge env set DEFAULT_OWNER …` takes effect on the next call.
const defaultOwner = process.env.DEFAULT_OWNER ?? "nobody";

const taskView = v.object({
  id: v.id("tasks"),
  title: v.string(),
  status,
  priority: v.int64(),
  owner: v.string(),
  tags: v.array(v.string()),
  due: v.union(v.number(), v.null()),
});

const view = (t: any) => ({ id: t._id, title: t.title, status: t.status, priority: t.priority, owner: t.owner, tags: t.tags, due: t.due ?? null });

export const create = mutation({
  args: {
    title: v.string(),
    priority: v.int64(),
    owner: v.optional(v.string()),
    tags: v.optional(v.array(v.string())),
    due: v.optional(v.number()),
    project: v.optional(v.id("projects")),
    details: v.optional(v.object({ note: v.string(), links: v.array(v.string()) })),
  },
  returns: v.id("tasks"),
  handler: async (ctx, args) => {
    const limit = Number(process.env.MAX_TASKS ?? "Infinity");
    const count = (await ctx.db.query("tasks").collect()).length;
    if (count >= limit) throw new ConvexError({ code: "TooManyTasks", limit });
    if (args.project !== undefined) {
      const project = await ctx.db.get(args.project);
      if (project === null || project.archived) throw new ConvexError({ code: "NoSuchProject" });
    }
    return await ctx.db.insert("tasks", {
      title: args.title,
      status: "todo",
      priority: args.priority,
      owner: args.owner ?? defaultOwner,
      tags: args.tags ?? [],
      due: args.due,
      project: args.project,
      details: args.details,
    });
  },
});

export const setStatus = mutation({
  args: { id: v.id("tasks"), status },
  returns: v.null(),
  handler: async (ctx, { id, status }) => {
    await ctx.db.patch(id, { status });
    return null;
  },
});

// Highest priority first, within one status.
export const byStatus = query({
  args: { status },
  returns: v.array(taskView),
  handler: async (ctx, { status }) =>
    (await ctx.db.query("tasks").withIndex("by_status_priority", (q) => q.eq("status", status)).order("desc").collect()).map(view),
});

// An owner's tasks due before a time, soonest first.
export const dueFor = query({
  args: { owner: v.string(), before: v.number() },
  returns: v.array(taskView),
  handler: async (ctx, { owner, before }) =>
    (await ctx.db.query("tasks").withIndex("by_owner_due", (q) => q.eq("owner", owner).gt("due", null).lt("due", before)).collect()).map(view),
});

export const summary = query({
  args: {},
  returns: v.object({ todo: v.number(), doing: v.number(), done: v.number() }),
  handler: async (ctx) => {
    const counts = { todo: 0, doing: 0, done: 0 };
    for (const t of await ctx.db.query("tasks").collect()) counts[t.status as keyof typeof counts] += 1;
    return counts;
  },
});

export const settings = query({
  args: {},
  handler: () => ({ defaultOwner, maxTasks: process.env.MAX_TASKS ?? null }),
});

// Imports a task as given, unchecked by argument validators: the schema still checks the write.
export const importRaw = internalMutation({
  args: { task: v.any() },
  handler: async (ctx, { task }) => ctx.db.insert("tasks", task),
});
