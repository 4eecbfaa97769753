// Every custom object modelship declares or bundles, validated against the upstream CRDs
// (../shared/upstream/crds): the whole program (declareModelship) under Pulumi mocks, for the dev and
// prod stack files, both KServe deployment modes, canary on and off. Objects come from two places:
// custom resources the program declares (Argo CD Application, Kyverno ImageValidatingPolicy) and the
// objects inside each manifest bundle (the InferenceService Argo CD applies).
//
// Out of scope here: Helm charts and remote YAML (under mocks a helm.v4.Chart or yaml.v2.ConfigFile
// is one resource with no children), and core kinds (Secret, Namespace, ConfigMap patches: not
// CRDs; the e2e's real API server checks them).
import { expect } from "chai";
import { formatProblems, upstreamCrdValidator, CrdValidator } from "../support/crd-validator";
import { builtInKubernetesTypes, cases, caseConfig, collectObjects, declareWholeProgram, KINDS_WITHOUT_UPSTREAM_CRD } from "../support/declared-objects";
import { installReleaseMocks, projectDir } from "../release/support";

describe("crd/declared-objects: every custom object modelship declares or bundles matches its upstream CRD", function () {
    this.timeout(120000);
    let crds: CrdValidator;
    let builtInTypes: Set<string>;
    before(() => {
        installReleaseMocks();
        crds = upstreamCrdValidator(projectDir);
        builtInTypes = builtInKubernetesTypes();
    });

    for (const { stack, mode, canary } of cases) {
        it(`${stack}, ${mode} mode, canary ${canary ? "on" : "off"}: InferenceService, Application and ImageValidatingPolicy are valid`, async () => {
            const config = caseConfig(stack, mode, canary);
            await declareWholeProgram(config);
            const { custom } = collectObjects(builtInTypes);

            // What this case must have found: one InferenceService (bundled) and one Application per
            // model, one signature policy (both stack files sign and keep the policy on).
            expect(config.models.length).to.be.greaterThan(0);
            expect(config.signing.enabled && config.platform.kyverno.signaturePolicy).to.equal(true);
            const counts = Object.fromEntries([...custom].map(([kind, objects]) => [kind, objects.length]));
            expect(counts).to.deep.equal({
                "InferenceService.serving.kserve.io": config.models.length,
                "Application.argoproj.io": config.models.length,
                "ImageValidatingPolicy.policies.kyverno.io": 1,
            });

            // The case renders what it says: the canary is in the InferenceService, in this mode's form.
            for (const { object } of custom.get("InferenceService.serving.kserve.io")!) {
                expect(object.metadata.annotations["serving.kserve.io/deploymentMode"]).to.equal(mode);
                const hasCanary = mode === "Knative" ? object.spec.predictor.canaryTrafficPercent !== undefined : Array.isArray(object.spec.canary);
                expect(hasCanary, "canary rendered").to.equal(canary);
            }

            const problems: string[] = [];
            for (const [kind, objects] of custom) {
                const { apiVersion } = objects[0].object;
                if (!crds.crdFor(apiVersion, objects[0].object.kind)) {
                    if (!KINDS_WITHOUT_UPSTREAM_CRD[kind]) problems.push(`${kind}: no CRD in the upstream directory, and not listed in KINDS_WITHOUT_UPSTREAM_CRD with a reason`);
                    continue;
                }
                for (const { source, object } of objects) {
                    const found = crds.validate(object);
                    if (found.length > 0) problems.push(`${source}:\n${formatProblems(found)}`);
                }
            }
            expect(problems.join("\n"), "objects that the API server would reject or prune").to.equal("");
        });
    }

    it("core kinds are recognised and skipped (Secrets, Namespace patches), not mistaken for custom resources", async () => {
        await declareWholeProgram(caseConfig("prod", "Standard", true));
        const { custom, builtIn } = collectObjects(builtInTypes);
        expect(builtIn.get("kubernetes:core/v1:Secret")).to.be.greaterThan(0);
        expect(builtIn.get("kubernetes:core/v1:NamespacePatch")).to.equal(1);
        expect(builtIn.get("kubernetes:helm.sh/v4:Chart")).to.be.greaterThan(0);
        for (const kind of custom.keys()) expect(kind).not.to.match(/^(Secret|Namespace|NamespacePatch|ConfigMap|Chart)\./);
    });

    it("an object the API server would prune is caught in a declared case (the check can fail)", async () => {
        await declareWholeProgram(caseConfig("dev", "Standard", true));
        const { custom } = collectObjects(builtInTypes);
        const isvc = structuredClone(custom.get("InferenceService.serving.kserve.io")![0].object);
        delete isvc.spec.canary[0].predictor.model.name;
        isvc.spec.predictor.model.storageURI = isvc.spec.predictor.model.storageUri;
        expect(crds.validate(isvc).map((p) => `${p.path}: ${p.message}`)).to.have.members([
            "spec.canary[0].predictor.model.name: required field is missing",
            "spec.predictor.model.storageURI: unknown field: the CRD schema does not declare it, so the API server would prune it silently",
        ]);
    });
});
