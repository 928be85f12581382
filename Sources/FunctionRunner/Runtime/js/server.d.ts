// Declarations of Converge's `convex/server` for type-checking an app (`converge codegen`). They are
// deliberately loose: contexts and documents are `any`; what they catch is everything else, and calls
// of functions the generated `api` does not have.

export type FunctionType = "query" | "mutation" | "action";
export type FunctionVisibility = "public" | "internal";
export type FunctionReference<Type extends FunctionType = FunctionType, Visibility extends FunctionVisibility = FunctionVisibility> = {
  readonly _type: Type;
  readonly _visibility: Visibility;
};

type Definition = ((ctx: any, args: any) => any) | { args?: any; returns?: any; handler: (ctx: any, args: any) => any };
type Registered = ((ctx: any, args: any) => any) & { readonly isConvexFunction: true };

export declare function queryGeneric(definition: Definition): Registered;
export declare function mutationGeneric(definition: Definition): Registered;
export declare function actionGeneric(definition: Definition): Registered;
export declare function internalQueryGeneric(definition: Definition): Registered;
export declare function internalMutationGeneric(definition: Definition): Registered;
export declare function internalActionGeneric(definition: Definition): Registered;
export declare function httpActionGeneric(handler: (ctx: any, request: Request) => Promise<Response>): Registered;

export declare function defineSchema(tables: Record<string, any>, options?: { schemaValidation?: boolean; strictTableNameTypes?: boolean }): any;
export declare function defineTable(documentSchema: any): any;
export declare function httpRouter(): {
  route(spec: { path?: string; pathPrefix?: string; method: string; handler: any }): void;
};
export declare function cronJobs(): any;
export declare const paginationOptsValidator: any;
export declare const anyApi: any;
export declare function makeFunctionReference(name: string): FunctionReference;
export declare function getFunctionName(reference: FunctionReference | string): string;
export declare function componentsGeneric(): any;

declare global {
  /** Environment variables of the deployment (`converge env`). */
  var process: { env: Record<string, string | undefined> };
}
