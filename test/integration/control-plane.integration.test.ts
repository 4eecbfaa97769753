// The end-to-end control plane itself, against the upstream CRDs the platform installs:
//  - every CRD in ../shared/upstream/crds (MODELSHIP_UPSTREAM_DIR overrides ../shared/upstream)
//    server-side applies and becomes Established;
//  - a minimal InferenceService is stored and read back; one without a field the CRD's schema
//    requires is rejected with 422, so objects are checked against the real schema;
//  - objectPath() resolves kinds through discovery; releaseFinalizers() stands in for a controller
//    that is not running (Argo CD) and lets an object held by its finalizer go;
//  - a namespace deleted in foreground (as the Pulumi kubernetes provider deletes) disappears, which
//    takes both the namespace controller and the garbage collector;
//  - stop() leaves no process and no run directory behind.
// Tools: etcd (Debian etcd-server), kube-apiserver and kube-controller-manager (built by
// scripts/install-control-plane into ${MODELSHIP_CACHE:-~/.cache/modelship}/bin). Missing: skipped
// with the tool's name; under CI=true a missing tool fails.
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { ControlPlane, CONTEXT, KubeApiError, requireControlPlane, startControlPlane } from "../support/control-plane";

const upstreamDir = process.env.MODELSHIP_UPSTREAM_DIR ?? path.resolve(__dirname, "..", "..", "..", "shared", "upstream");
const crdDir = path.join(upstreamDir, "crds");
const ISVC_PATH = "/apis/serving.kserve.io/v1beta1/namespaces/models/inferenceservices";

function inferenceService(name: string, model: Record<string, unknown>) {
    return {
        apiVersion: "serving.kserve.io/v1beta1",
        kind: "InferenceService",
        metadata: { name, namespace: "models" },
        spec: { predictor: { model } },
    };
}

async function rejection(promise: Promise<unknown>): Promise<KubeApiError> {
    try {
        await promise;
    } catch (err) {
        if (err instanceof KubeApiError) return err;
        throw err;
    }
    throw new Error("the API server accepted it");
}

describe("control plane: etcd, kube-apiserver, kube-controller-manager (integration)", function () {
    this.timeout(180_000);
    let cp: ControlPlane;

    before(async function () {
        requireControlPlane(this);
        if (!fs.existsSync(crdDir)) {
            const message = `upstream CRDs not found at ${crdDir} (set MODELSHIP_UPSTREAM_DIR to the directory holding crds/)`;
            if (process.env.CI === "true") throw new Error(message);

            console.warn(`skipping: ${message}`);
            this.skip();
        }
        cp = await startControlPlane();
    });

    after(async () => {
        await cp?.stop();
    });

    it("answers as admin through its kubeconfig's server, CA and token", async () => {
        const config = parse(fs.readFileSync(cp.kubeconfigPath, "utf8"));
        expect(config["current-context"]).to.equal(CONTEXT);
        expect(config.clusters[0].cluster.server).to.equal(cp.server);
        expect(Buffer.from(config.clusters[0].cluster["certificate-authority-data"], "base64").toString()).to.equal(cp.caPem);
        expect(config.users[0].user.token).to.equal(cp.token);
        const review = await cp.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
            apiVersion: "authentication.k8s.io/v1",
            kind: "SelfSubjectReview",
        });
        expect(review.status.userInfo.username).to.equal("admin");
        expect(review.status.userInfo.groups).to.include("system:masters");
    });

    it("server-side applies every upstream CRD and each becomes Established", async () => {
        const files = fs.readdirSync(crdDir).filter((name) => /\.ya?ml$/.test(name));
        const names = await cp.applyCrds(crdDir);
        expect(names).to.have.length(files.length);
        expect(names).to.include.members(["inferenceservices.serving.kserve.io", "applications.argoproj.io", "imagevalidatingpolicies.policies.kyverno.io"]);
        const crd = await cp.request("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/inferenceservices.serving.kserve.io");
        expect(crd.metadata.managedFields.map((f: any) => f.manager)).to.include("modelship-e2e");
    });

    it("stores a minimal InferenceService and returns it", async () => {
        await cp.createNamespace("models");
        const model = { modelFormat: { name: "sklearn" }, storageUri: "oci://registry.example/models/iris@sha256:" + "a".repeat(64) };
        await cp.request("POST", ISVC_PATH, inferenceService("iris", model));
        const stored = await cp.request("GET", `${ISVC_PATH}/iris`);
        expect(stored.metadata.uid).to.be.a("string");
        expect(stored.spec.predictor.model).to.deep.equal(model);
    });

    it("rejects an InferenceService without modelFormat.name, which the CRD's schema requires, with 422", async () => {
        const crd = await cp.request("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/inferenceservices.serving.kserve.io");
        const schema = crd.spec.versions.find((v: any) => v.name === "v1beta1").schema.openAPIV3Schema;
        expect(schema.properties.spec.properties.predictor.properties.model.properties.modelFormat.required).to.deep.equal(["name"]);

        const err = await rejection(
            cp.request("POST", ISVC_PATH, inferenceService("no-format-name", { modelFormat: { version: "1" }, storageUri: "oci://registry.example/m@sha256:" + "b".repeat(64) })),
        );
        expect(err.status).to.equal(422);
        expect(err.body.reason).to.equal("Invalid");
        expect(err.body.details.causes).to.deep.include({
            reason: "FieldValueRequired",
            message: "Required value",
            field: "spec.predictor.model.modelFormat.name",
        });
        expect((await rejection(cp.request("GET", `${ISVC_PATH}/no-format-name`))).status).to.equal(404);
    });

    it("finds objects' paths through discovery, and releaseFinalizers lets a held object go", async () => {
        expect(await cp.objectPath("serving.kserve.io/v1beta1", "InferenceService", "iris", "models")).to.equal(`${ISVC_PATH}/iris`);
        expect(await cp.objectPath("v1", "Namespace", "models")).to.equal("/api/v1/namespaces/models");
        const held = inferenceService("held", { modelFormat: { name: "sklearn" }, storageUri: "oci://registry.example/m@sha256:" + "c".repeat(64) });
        await cp.request("POST", ISVC_PATH, { ...held, metadata: { ...held.metadata, finalizers: ["modelship.invalid/hold"] } });
        await cp.request("DELETE", `${ISVC_PATH}/held`);
        await new Promise((r) => setTimeout(r, 1000));
        const deleting = await cp.request("GET", `${ISVC_PATH}/held`);
        expect(deleting.metadata.deletionTimestamp, "held by its finalizer").to.be.a("string");
        const stopReleasing = cp.releaseFinalizers("serving.kserve.io", "v1beta1", "inferenceservices", "modelship.invalid/hold");
        try {
            const deadline = Date.now() + 10_000;
            while ((await cp.status("GET", `${ISVC_PATH}/held`)) !== 404) {
                if (Date.now() > deadline) throw new Error("still there 10 s after releaseFinalizers");
                await new Promise((r) => setTimeout(r, 200));
            }
        } finally {
            stopReleasing();
        }
    });

    it("deletes a namespace in foreground, with its InferenceService: namespace controller and garbage collector finish it", async () => {
        // The DELETE's answer is the object as the API server left it: a later GET could race the
        // garbage collector, which may already have finished with an almost empty namespace.
        const deleting = await cp.request("DELETE", "/api/v1/namespaces/models", { apiVersion: "v1", kind: "DeleteOptions", propagationPolicy: "Foreground" });
        expect(deleting.metadata.finalizers ?? []).to.include("foregroundDeletion");
        const deadline = Date.now() + 45_000;
        let last: any = deleting;
        while (Date.now() < deadline) {
            try {
                last = await cp.request("GET", "/api/v1/namespaces/models");
            } catch (err) {
                if (err instanceof KubeApiError && err.status === 404) {
                    expect((await rejection(cp.request("GET", `${ISVC_PATH}/iris`))).status).to.equal(404);
                    return;
                }
                throw err;
            }
            await new Promise((r) => setTimeout(r, 250));
        }
        throw new Error(
            `namespace models still there after 45 s: ${JSON.stringify({ metadata: last.metadata, status: last.status })}\n` +
                `kube-controller-manager log:\n${cp.logTail("kube-controller-manager")}`,
        );
    });

    it("stop() ends every process and removes the run directory", async () => {
        const pids = Object.values(cp.pids);
        expect(pids).to.have.length(3);
        await cp.stop();
        for (const pid of pids) expect(() => process.kill(pid, 0), `process ${pid}`).to.throw();
        expect(fs.existsSync(cp.runDir)).to.equal(false);
    });
});
