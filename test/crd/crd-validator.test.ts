// The CRD validator itself: a compliant baseline, then one change per failing case. Real upstream
// CRDs (../shared/upstream/crds) for the InferenceService cases; small inline CRDs for the
// structural-schema rules the upstream ones happen not to use.
import { expect } from "chai";
import * as path from "path";
import {
    createCrdValidator,
    CrdValidator,
    CustomResourceDefinition,
    formatProblems,
    parseCrds,
    readCrdDirectory,
    structuralToJsonSchema,
    upstreamCrdDirectory,
    upstreamCrdValidator,
} from "../support/crd-validator";

const repoRoot = path.resolve(__dirname, "..", "..");
const DIGEST = `sha256:${"a".repeat(64)}`;

/** A Standard-mode InferenceService with a canary, valid for the KServe v0.20.0 CRD; fresh on every call. */
function compliantInferenceService(): Record<string, any> {
    const model = (version: string) => ({
        name: "kserve-container",
        modelFormat: { name: "sklearn" },
        runtime: "kserve-sklearnserver",
        storageUri: `oci://registry.example/modelship/iris@${DIGEST}`,
        resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: 1, memory: "256Mi" } },
        env: [{ name: "MODEL_VERSION", value: version }],
    });
    return {
        apiVersion: "serving.kserve.io/v1beta1",
        kind: "InferenceService",
        metadata: {
            name: "iris",
            namespace: "models",
            labels: { "app.kubernetes.io/name": "iris" },
            annotations: { "serving.kserve.io/deploymentMode": "Standard" },
        },
        spec: {
            predictor: { name: "v1", minReplicas: 1, imagePullSecrets: [{ name: "pull" }], model: model("v1") },
            canary: [{ trafficPercent: 10, predictor: { name: "v2", model: model("v2") } }],
        },
    };
}

describe("crd/crd-validator: Kubernetes objects against upstream CRD schemas", function () {
    this.timeout(60000);
    let upstream: CrdValidator;
    before(() => {
        upstream = upstreamCrdValidator(repoRoot);
    });

    describe("InferenceService (KServe v0.20.0 CRD)", () => {
        it("passes a compliant InferenceService", () => {
            expect(formatProblems(upstream.validate(compliantInferenceService()))).to.equal("");
        });

        it("fails an unknown field, naming its path and saying the API server would prune it", () => {
            const isvc = compliantInferenceService();
            isvc.spec.predictor.model.storageURI = isvc.spec.predictor.model.storageUri; // a typo of storageUri
            expect(upstream.validate(isvc)).to.deep.equal([
                {
                    object: "InferenceService/iris",
                    path: "spec.predictor.model.storageURI",
                    message: "unknown field: the CRD schema does not declare it, so the API server would prune it silently",
                },
            ]);
        });

        it("finds unknown fields at any depth, inside list items of the canary too", () => {
            const isvc = compliantInferenceService();
            isvc.spec.canary[0].predictor.model.env[0] = { name: "TOKEN", valueFrom: { secretKeyRef: { name: "s", key: "k", optionl: true } } };
            isvc.spec.canary[0].weight = 10;
            expect(upstream.validate(isvc).map((p) => p.path)).to.have.members(["spec.canary[0].predictor.model.env[0].valueFrom.secretKeyRef.optionl", "spec.canary[0].weight"]);
        });

        it("fails a missing required field below spec.<component>.<field> (where the CRD keeps `required`)", () => {
            const isvc = compliantInferenceService();
            delete isvc.spec.canary[0].predictor.model.name;
            expect(upstream.validate(isvc)).to.deep.equal([{ object: "InferenceService/iris", path: "spec.canary[0].predictor.model.name", message: "required field is missing" }]);
        });

        it("fails a missing spec.predictor and a missing canary trafficPercent, all at once", () => {
            const isvc = compliantInferenceService();
            delete isvc.spec.predictor;
            delete isvc.spec.canary[0].trafficPercent;
            expect(upstream.validate(isvc).map((p) => `${p.path}: ${p.message}`)).to.have.members([
                "spec.predictor: required field is missing",
                "spec.canary[0].trafficPercent: required field is missing",
            ]);
        });

        it("fails a wrong type (a string where the schema says integer)", () => {
            const isvc = compliantInferenceService();
            isvc.spec.canary[0].trafficPercent = "10";
            expect(upstream.validate(isvc)).to.deep.equal([
                { object: "InferenceService/iris", path: "spec.canary[0].trafficPercent", message: 'must be an integer, got string "10"' },
            ]);
        });

        it("fails minimum/maximum and int32 range", () => {
            const isvc = compliantInferenceService();
            isvc.spec.canary[0].trafficPercent = 101;
            isvc.spec.predictor.minReplicas = 2 ** 31;
            expect(upstream.validate(isvc).map((p) => `${p.path}: ${p.message}`)).to.have.members([
                "spec.canary[0].trafficPercent: must be <= 100; got number 101",
                "spec.predictor.minReplicas: must be a valid int32; got number 2147483648",
            ]);
        });

        it("int-or-string: a resource quantity may be an integer or a string, nothing else, and a string must be a quantity", () => {
            const asInteger = compliantInferenceService();
            asInteger.spec.predictor.model.resources.requests.cpu = 2;
            expect(upstream.validate(asInteger)).to.deep.equal([]);
            const asString = compliantInferenceService();
            asString.spec.predictor.model.resources.requests.cpu = "1500m";
            expect(upstream.validate(asString)).to.deep.equal([]);

            const asBoolean = compliantInferenceService();
            asBoolean.spec.predictor.model.resources.requests.cpu = true;
            expect(formatProblems(upstream.validate(asBoolean))).to.equal(
                "InferenceService/iris: spec.predictor.model.resources.requests.cpu: must be an integer or a string, got boolean true",
            );
            const notAQuantity = compliantInferenceService();
            notAQuantity.spec.predictor.model.resources.requests.cpu = "1 core";
            expect(upstream.validate(notAQuantity)).to.have.length(1);
            expect(upstream.validate(notAQuantity)[0].path).to.equal("spec.predictor.model.resources.requests.cpu");
            expect(upstream.validate(notAQuantity)[0].message).to.match(/^must match .*; got string "1 core"$/);
        });

        it("null where the schema is not nullable is an error (the API server drops it)", () => {
            const isvc = compliantInferenceService();
            isvc.spec.predictor.model.runtime = null;
            expect(formatProblems(upstream.validate(isvc))).to.equal(
                "InferenceService/iris: spec.predictor.model.runtime: is null, but the schema does not say nullable (the API server would drop it); must be a string",
            );
        });

        it("enum: a value outside the list fails", () => {
            const isvc = compliantInferenceService();
            isvc.spec.predictor.scaleMetric = "latency";
            expect(formatProblems(upstream.validate(isvc))).to.equal(
                'InferenceService/iris: spec.predictor.scaleMetric: must be one of "cpu", "memory", "concurrency", "rps"; got string "latency"',
            );
        });

        it("x-kubernetes-list-type map: two env entries with the same name fail", () => {
            const isvc = compliantInferenceService();
            isvc.spec.predictor.model.env.push({ name: "MODEL_VERSION", value: "again" });
            const problems = upstream.validate(isvc);
            expect(problems.map((p) => p.path)).to.deep.equal(["spec.predictor.model.env"]);
            expect(problems[0].message).to.contain("items [0] and [1] have the same name");
        });

        it("root metadata is ObjectMeta: label values must be short strings, keys qualified names, no unknown fields", () => {
            const isvc = compliantInferenceService();
            isvc.metadata.labels.replicas = 3;
            isvc.metadata.annotations["not a key"] = "x";
            isvc.metadata.generation_ = 1;
            expect(upstream.validate(isvc).map((p) => `${p.path}: ${p.message}`)).to.have.members([
                "metadata.labels.replicas: must be a string, got number 3",
                "metadata.annotations: key \"not a key\" is not a qualified name ([prefix/]name: name ≤ 63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric; prefix a DNS subdomain)",
                "metadata.generation_: unknown field: the CRD schema does not declare it, so the API server would prune it silently",
            ]);
            const noName = compliantInferenceService();
            delete noName.metadata.name;
            expect(upstream.validate(noName).map((p) => `${p.path}: ${p.message}`)).to.deep.equal(["metadata: must match at least one of: name | generateName"]);
        });

        it("names the path of keys that are not identifiers with brackets", () => {
            const isvc = compliantInferenceService();
            isvc.metadata.annotations["serving.kserve.io/deploymentMode"] = false;
            expect(upstream.validate(isvc).map((p) => p.path)).to.deep.equal(['metadata.annotations["serving.kserve.io/deploymentMode"]']);
        });
    });

    describe("finding the CRD", () => {
        it("an unknown kind, an unknown version and a core kind are problems, not passes", () => {
            expect(formatProblems(upstream.validate({ apiVersion: "serving.kserve.io/v1beta1", kind: "InferenceServce", metadata: { name: "x" } }))).to.equal(
                `InferenceServce/x: (object): no CRD for kind InferenceServce in group serving.kserve.io among ${readCrdDirectory(upstreamCrdDirectory(repoRoot)).length} upstream CRDs`,
            );
            expect(formatProblems(upstream.validate({ apiVersion: "serving.kserve.io/v1alpha9", kind: "InferenceService", metadata: { name: "x" } }))).to.equal(
                "InferenceService/x: apiVersion: version v1alpha9 is not in CRD inferenceservices.serving.kserve.io (versions: v1beta1)",
            );
            expect(upstream.crdFor("v1", "Secret")).to.equal(undefined);
            expect(upstream.validate({ apiVersion: "v1", kind: "Secret", metadata: { name: "x" } })).to.have.length(1);
        });

        it("picks the version named by apiVersion (Kyverno's ImageValidatingPolicy serves v1, v1beta1, v1alpha1)", () => {
            const policy = {
                apiVersion: "policies.kyverno.io/v1",
                kind: "ImageValidatingPolicy",
                metadata: { name: "p" },
                spec: { attestors: [{ name: "a", cosign: { key: { data: "PEM" } } }], validations: [{ expression: "true" }] },
            };
            expect(upstream.validate(policy)).to.deep.equal([]);
            expect(upstream.validate({ ...policy, apiVersion: "policies.kyverno.io/v1alpha1" })).to.deep.equal([]);
            // v1 requires attestors
            expect(upstream.validate({ ...policy, spec: { validations: policy.spec.validations } }).map((p) => `${p.path}: ${p.message}`)).to.deep.equal([
                "spec.attestors: required field is missing",
            ]);
            expect(upstream.crdFor("policies.kyverno.io/v1", "ImageValidatingPolicy")?.file).to.match(/kyverno-v1\.19\.0-policies\.kyverno\.io_imagevalidatingpolicies\.yaml$/);
        });

        it("a namespace on a cluster-scoped kind is a problem; oneOf names the alternatives", () => {
            const policy = {
                apiVersion: "policies.kyverno.io/v1",
                kind: "ImageValidatingPolicy",
                metadata: { name: "p", namespace: "kyverno" },
                spec: { attestors: [{ name: "a" }], validations: [{ expression: "true" }] },
            };
            expect(upstream.validate(policy).map((p) => `${p.path}: ${p.message}`)).to.deep.equal([
                "spec.attestors[0]: must match exactly one of: cosign | notary (matches none)",
                "metadata.namespace: ImageValidatingPolicy is cluster-scoped: the API server ignores a namespace",
            ]);
        });

        it("reads the CRDs from ../shared/upstream/crds, or from $MODELSHIP_UPSTREAM_DIR/crds", () => {
            expect(upstreamCrdDirectory("/src/modelship", {})).to.equal("/src/shared/upstream/crds");
            expect(upstreamCrdDirectory("/src/modelship", { MODELSHIP_UPSTREAM_DIR: "/opt/upstream" })).to.equal("/opt/upstream/crds");
            expect(() => readCrdDirectory("/nonexistent/crds")).to.throw(/\/nonexistent\/crds does not exist: .*MODELSHIP_UPSTREAM_DIR/);
        });

        it("indexes every upstream CRD file by group and kind without parsing it, and the index matches the file", () => {
            const sources = readCrdDirectory(upstreamCrdDirectory(repoRoot));
            const application = sources.find((s) => s.kind === "Application");
            expect(application?.group).to.equal("argoproj.io");
            const crd = application!.load();
            expect([crd.spec.group, crd.spec.names.kind]).to.deep.equal(["argoproj.io", "Application"]);
        });
    });

    describe("structural-schema rules (inline CRD)", () => {
        const crd: CustomResourceDefinition = parseCrds(`
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: widgets.example.com }
spec:
  group: example.com
  names: { kind: Widget, plural: widgets }
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [port]
            properties:
              port: { x-kubernetes-int-or-string: true, anyOf: [{ type: integer }, { type: string }] }
              comment: { type: string, nullable: true, maxLength: 5 }
              free: { type: object, x-kubernetes-preserve-unknown-fields: true, properties: { known: { type: string } } }
              counts: { type: object, additionalProperties: { type: integer } }
              tags: { type: array, x-kubernetes-list-type: set, items: { type: string } }
              template: { type: object, x-kubernetes-embedded-resource: true, properties: { spec: { type: object } } }
              unknownFormat: { type: string, format: k8s-special-thing }
              match: { type: object, not: { required: [any, all] }, properties: { any: { type: string }, all: { type: string } } }
  - name: v0
    served: false
    storage: false
    schema: { openAPIV3Schema: { type: object } }
`)[0];
        const widgets = createCrdValidator([crd]);
        const widget = (spec: Record<string, unknown>) => ({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" }, spec });
        const problems = (spec: Record<string, unknown>) => widgets.validate(widget(spec)).map((p) => `${p.path}: ${p.message}`);

        it("int-or-string accepts an integer and a string", () => {
            expect(problems({ port: 8080 })).to.deep.equal([]);
            expect(problems({ port: "http" })).to.deep.equal([]);
            expect(problems({ port: 1.5 })).to.deep.equal(["spec.port: must be an integer or a string, got number 1.5"]);
        });

        it("nullable: true allows null; maxLength applies to strings", () => {
            expect(problems({ port: 1, comment: null })).to.deep.equal([]);
            expect(problems({ port: 1, comment: "too long" })).to.deep.equal(['spec.comment: must NOT have more than 5 characters; got string "too long"']);
        });

        it("x-kubernetes-preserve-unknown-fields keeps unknown fields but still checks the declared ones", () => {
            expect(problems({ port: 1, free: { anything: { at: ["all"] } } })).to.deep.equal([]);
            expect(problems({ port: 1, free: { known: 1 } })).to.deep.equal(["spec.free.known: must be a string, got number 1"]);
        });

        it("additionalProperties: a map whose values are checked", () => {
            expect(problems({ port: 1, counts: { a: 1, b: 2 } })).to.deep.equal([]);
            expect(problems({ port: 1, counts: { a: "1" } })).to.deep.equal(['spec.counts.a: must be an integer, got string "1"']);
        });

        it("not: a value validation inside an object (as Kyverno uses it)", () => {
            expect(problems({ port: 1, match: { any: "x" } })).to.deep.equal([]);
            expect(problems({ port: 1, match: { any: "x", all: "y" } })).to.deep.equal(["spec.match: must not set all of: any, all"]);
        });

        it("x-kubernetes-list-type set: duplicates fail", () => {
            expect(problems({ port: 1, tags: ["a", "a"] })).to.deep.equal(["spec.tags: items [0] and [1] are duplicates (x-kubernetes-list-type: set)"]);
        });

        it("x-kubernetes-embedded-resource: apiVersion, kind and metadata are allowed and required as the API server does", () => {
            expect(problems({ port: 1, template: { apiVersion: "v1", kind: "Pod", metadata: { labels: { a: "b" } }, spec: {} } })).to.deep.equal([]);
            expect(problems({ port: 1, template: { spec: {} } })).to.have.members([
                "spec.template.apiVersion: required field is missing",
                "spec.template.kind: required field is missing",
            ]);
            expect(problems({ port: 1, template: { apiVersion: "v1", kind: "Pod", status: {} } })).to.deep.equal([
                "spec.template.status: unknown field: the CRD schema does not declare it, so the API server would prune it silently",
            ]);
        });

        it("an unknown format is ignored; an unknown field at the root is pruned too", () => {
            expect(problems({ port: 1, unknownFormat: "whatever" })).to.deep.equal([]);
            expect(widgets.validate({ ...widget({ port: 1 }), status2: {} }).map((p) => p.path)).to.deep.equal(["status2"]);
        });

        it("a version that is not served is a problem", () => {
            expect(widgets.validate({ ...widget({ port: 1 }), apiVersion: "example.com/v0" }).map((p) => p.message)).to.deep.equal([
                "version v0 of CRD widgets.example.com is not served",
            ]);
        });

        it("the converted schema forbids undeclared fields only where the API server would prune them", () => {
            const schema = structuralToJsonSchema(crd.spec.versions[0].schema!.openAPIV3Schema!);
            expect(schema.properties.spec.additionalProperties).to.equal(false);
            expect(schema.properties.spec.properties.free).not.to.have.property("additionalProperties");
            expect(schema.properties.spec.properties.port.type).to.deep.equal(["integer", "string"]);
            expect(schema.properties.spec.properties.comment.type).to.deep.equal(["string", "null"]);
        });

        it("only apiextensions.k8s.io/v1 CRDs are accepted", () => {
            expect(() => parseCrds("apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\nmetadata: { name: x }\n")).to.throw(/only apiextensions.k8s.io\/v1/);
        });
    });
});
