import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { recorder, unwrap } from "../support/pulumi-mocks";
import { declareModelship } from "../../components/stack";
import type { StackConfig } from "../../components/config/schema";
import { fakeComposeModelImage, installReleaseMocks, isSecretValue, projectDir, reveal, stackConfig } from "./support";

async function declare(config: StackConfig, secrets: { registryPassword?: string; signingKeyPassword?: string }) {
    recorder.reset();
    const stack = declareModelship(
        {
            config,
            secrets: {
                ...(secrets.registryPassword ? { registryPassword: pulumi.secret(secrets.registryPassword) } : {}),
                ...(secrets.signingKeyPassword ? { signingKeyPassword: pulumi.secret(secrets.signingKeyPassword) } : {}),
            },
        },
        { projectDir, composeModelImage: fakeComposeModelImage },
    );
    const models = (await unwrap(stack.models)).value;
    await Promise.all(Object.values(stack.releases).map((r) => unwrap(r.application.urn)));
    return { stack, models };
}

describe("release/declareModelship (index.ts): config → Platform → releases → outputs", function () {
    this.timeout(30000);
    before(() => installReleaseMocks());

    it("dev: the Platform and one release per model; outputs keyed by model name; Applications wait for the platform", async () => {
        const config = stackConfig("dev");
        const { stack, models } = await declare(config, { signingKeyPassword: "pw" });
        expect(recorder.resources.filter((r) => r.type === "modelship:platform:Platform").map((r) => r.name)).to.deep.equal(["platform"]);
        expect(Object.keys(models)).to.deep.equal(config.models.map((m) => m.name).sort());
        expect(models.iris.application.targetRevision).to.equal(models.iris.bundle.digest);
        expect(stack.platform.readyDependencies.length).to.be.greaterThan(0);
        for (const dep of stack.platform.readyDependencies) expect(stack.releases.iris.applicationDependsOn).to.include(dep);
        // Anonymous registry: no pull Secrets, no imagePullSecrets.
        expect(recorder.resources.filter((r) => r.name.startsWith("models-"))).to.have.length(0);
        expect(recorder.named("iris-bundle-push").inputs.manifests[0].spec.predictor).not.to.have.property("imagePullSecrets");
    });

    it("prod: a pull Secret per model namespace (secret), listed in imagePullSecrets, awaited by the Application", async () => {
        const config = stackConfig("prod");
        const { stack } = await declare(config, { registryPassword: "robot-token" });
        const ns = recorder.named("models-models");
        expect(ns.type).to.equal("kubernetes:core/v1:NamespacePatch");
        expect(ns.inputs.metadata).to.deep.equal({ name: "models" });
        const secret = recorder.named("models-models-modelship-registry");
        expect(secret.inputs.type).to.equal("kubernetes.io/dockerconfigjson");
        expect(secret.inputs.metadata).to.deep.equal({ name: "modelship-registry", namespace: "models" });
        const data = secret.inputs.stringData[".dockerconfigjson"];
        expect(isSecretValue(data) || isSecretValue(secret.inputs.stringData)).to.equal(true);
        expect(JSON.parse(reveal(secret.inputs.stringData)[".dockerconfigjson"]).auths["ghcr.io"].username).to.equal("modelship-bot");
        expect(recorder.named("iris-bundle-push").inputs.manifests[0].spec.predictor.imagePullSecrets).to.deep.equal([{ name: "modelship-registry" }]);
        expect(stack.releases.iris.applicationDependsOn.length).to.be.greaterThan(stack.platform.readyDependencies.length);
    });

    it("kubernetes.renderYamlToDirectory: one explicit provider rendering to the directory, used by the platform and every release", async () => {
        const config = stackConfig("dev"); // Pulumi.dev.yaml renders to out/dev
        expect(config.kubernetes).to.deep.equal({ renderYamlToDirectory: "out/dev" });
        await declare(config, { signingKeyPassword: "pw" });
        // Clusterless dev: no chart or remote manifest (they need the network), the signature policy all the same.
        expect(recorder.resources.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart" || r.type === "kubernetes:yaml/v2:ConfigFile")).to.have.length(0);
        expect(recorder.ofType("kubernetes:policies.kyverno.io/v1:ImageValidatingPolicy")).to.have.length(1);
        const provider = recorder.named("kubernetes");
        expect(provider.type).to.equal("pulumi:providers:kubernetes");
        expect(provider.inputs.renderYamlToDirectory).to.equal(`${projectDir}/out/dev`);
        // Custom resources carry the provider; components (Chart v4, ConfigFile v2) pass it to their children.
        const kubernetesObjects = recorder.resources.filter((r) => r.type.startsWith("kubernetes:") && r.custom);
        expect(kubernetesObjects.map((r) => r.type)).to.include("kubernetes:argoproj.io/v1alpha1:Application");
        expect(kubernetesObjects.length).to.be.greaterThan(0);
        for (const r of kubernetesObjects) {
            expect(r.provider, r.key).to.match(/::pulumi:providers:kubernetes::kubernetes::/);
        }
    });

    it("no kubernetes section: the default provider (current kubectl context), no explicit provider declared", async () => {
        await declare({ ...stackConfig("dev"), kubernetes: {} }, { signingKeyPassword: "pw" });
        expect(recorder.ofType("pulumi:providers:kubernetes")).to.have.length(0);
        for (const r of recorder.resources.filter((x) => x.type.startsWith("kubernetes:"))) expect(r.provider ?? "", r.key).not.to.match(/::kubernetes::kubernetes::/);
    });
});
