export * from "./argocd";
export * from "./cert-manager";
export * from "./charts";
export * from "./generated-password";
export * from "./knative";
export * from "./kserve";
export * from "./kyverno";
export * from "./platform";
