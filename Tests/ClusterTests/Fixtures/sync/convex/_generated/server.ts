// What `npx convex dev` generates, reduced to what the runtime needs.
import {
  actionGeneric, httpActionGeneric, internalActionGeneric, internalMutationGeneric,
  internalQueryGeneric, mutationGeneric, queryGeneric,
} from "convex/server";

export const query = queryGeneric;
export const internalQuery = internalQueryGeneric;
export const mutation = mutationGeneric;
export const internalMutation = internalMutationGeneric;
export const action = actionGeneric;
export const internalAction = internalActionGeneric;
export const httpAction = httpActionGeneric;
