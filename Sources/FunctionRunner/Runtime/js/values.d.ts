// Declarations of Converge's `convex/values` for type-checking an app (`converge codegen`); loose on purpose.

export declare const v: any;
export type Infer<T> = any;
export type GenericId<TableName extends string> = string & { readonly __tableName: TableName };
export declare class ConvexError<TData = any> extends Error {
  data: TData;
  constructor(data: TData);
}
export declare function convexToJson(value: any): any;
export declare function jsonToConvex(value: any): any;
