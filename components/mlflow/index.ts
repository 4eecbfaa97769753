export * from "./client";
export * from "./cache";
export * from "./resolve";
